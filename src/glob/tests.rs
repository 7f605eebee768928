//! Golden tables per dialect (expected values recorded from picomatch 2.3.1 under node,
//! Ruby's `File.fnmatch?`, and GitHub's documented cheat sheet), error cases, and checks
//! that the fast paths and the shared `RegexSet` agree with the exact matcher.

use super::*;

fn set(dialect: Dialect, patterns: &[&str]) -> GlobSet {
    match GlobSet::new(dialect, patterns) {
        Ok(s) => s,
        Err(e) => panic!("{patterns:?} should compile: {e}"),
    }
}

/// Whether the single pattern's body matches.
fn body(dialect: Dialect, pattern: &str, path: &str) -> bool {
    let s = set(dialect, &[pattern]);
    let mut out = Vec::new();
    s.matches_into(path, &mut out);
    out[0]
}

/// picomatch's own answer for one pattern (a negated pattern matches when its body does not).
fn picomatch(pattern: &str, path: &str) -> bool {
    let s = set(Dialect::Picomatch, &[pattern]);
    let mut out = Vec::new();
    s.matches_into(path, &mut out);
    out[0] != s.is_negated(0)
}

/// GitHub's rule: patterns are checked in order and the last one that matches decides.
fn github_included(patterns: &[&str], path: &str) -> bool {
    let s = set(Dialect::Github, patterns);
    let mut out = Vec::new();
    s.matches_into(path, &mut out);
    let mut included = false;
    for (i, hit) in out.iter().enumerate() {
        if *hit {
            included = !s.is_negated(i);
        }
    }
    included
}

#[test]
fn picomatch_golden() {
    // (pattern, path, picomatch(pattern, {dot: true})(path)) — recorded with picomatch 2.3.1.
    let table: &[(&str, &str, bool)] = &[
        ("*.js", "a.js", true),
        ("*.js", "a/b.js", false),
        ("*.js", ".eslintrc.js", true),
        ("*", ".gitignore", true),
        ("*", "a/b", false),
        ("**", "a/b/c.txt", true),
        ("**", ".github/workflows/ci.yml", true),
        ("**/*", "a/b/c", true),
        ("**/*.md", "README.md", true),
        ("**/*.md", "docs/a/b.md", true),
        ("**/*.md", "docs/a.mdx", false),
        ("**.js", "a/b.js", true),
        ("**.js", "index.js", true),
        ("src/**", "src", true),
        ("src/**", "src/a/b.ts", true),
        ("src/**", "srcx/a", false),
        ("src/**/*.ts", "src/a.ts", true),
        ("src/**/*.ts", "src/x/y/a.ts", true),
        ("src/**/*.ts", "src/a.tsx", false),
        ("src/package1", "src/package1", true),
        ("src/package1", "src/package1/a.txt", false),
        ("src/package1/", "src/package1/a.txt", false),
        ("src/package1/", "src/package1", false),
        ("./src/**", "src/a.ts", true),
        ("src/*", "src/a/b", false),
        ("src/*/*.ts", "src/a/b.ts", true),
        ("?.txt", "a.txt", true),
        ("?.txt", "ab.txt", false),
        ("a?c", "a/c", false),
        ("[abc].txt", "b.txt", true),
        ("[abc].txt", "d.txt", false),
        ("[a-c]x", "bx", true),
        ("[^a]x", "bx", true),
        ("[^a]x", "ax", false),
        // picomatch quirk: `[!a]` is `(?:\[!a\]|[!a])`, not a negated class
        ("[!a]x", "bx", false),
        ("[!a]x", "!x", true),
        ("[!a]x", "[!a]x", true),
        ("[[:alpha:]]1", "z1", true),
        ("[[:digit:]]x", "5x", true),
        ("[[:digit:]]x", "ax", false),
        ("{a,b}.txt", "a.txt", true),
        ("{a,b}.txt", "c.txt", false),
        ("src/{a,b/{c,d}}/x", "src/b/d/x", true),
        ("{a,b}", "{a,b}", true),
        ("file{1..3}.txt", "file2.txt", true),
        ("file{1..3}.txt", "file4.txt", false),
        ("{a..c}x", "bx", true),
        // `{1..10}` becomes the class `[1-10]`, i.e. `0` or `1`
        ("file{1..10}.txt", "file5.txt", false),
        ("@(a|b).js", "a.js", true),
        ("@(a|b).js", "c.js", false),
        ("?(a|b).js", ".js", true),
        ("+(a|b).js", "abba.js", true),
        ("*(a|b).js", ".js", true),
        ("!(a|b).js", "c.js", true),
        ("!(a|b).js", "a.js", false),
        // dorny/paths-filter#135: the extglob negation still matches root files
        ("!(**/*.tsx|**/*.less)", "root.tsx", true),
        ("!(**/*.tsx|**/*.less)", "a/b.tsx", false),
        ("!(**/*.tsx|**/*.less)", "a/b/c.less", true),
        ("!(**/*.tsx|**/*.less)", "a/b.ts", true),
        ("src/!(test)/**", "src/lib/a.js", true),
        ("src/!(test)/**", "src/test/a.js", false),
        // mid-pattern `!(test)` only rejects segments that start with `test`
        ("src/!(test)/**", "src/testing/a.js", false),
        ("**/!(*.d).ts", "a/b.ts", true),
        ("**/!(*.d).ts", "a/b.d.ts", false),
        ("!(*.md)", "a.md", false),
        ("!(*.md)", "a.txt", true),
        ("!(*.md)", "docs/a.txt", false),
        ("\\*.md", "*.md", true),
        ("\\*.md", "a.md", false),
        ("a\\{b\\}", "a{b}", true),
        ("SRC/**", "src/a", false),
        ("!docs/**", "docs/a.md", false),
        ("!docs/**", "src/a.md", true),
        ("!!src/**", "src/a", true),
        ("!!!src/**", "src/a", false),
        ("src/[id].ts", "src/[id].ts", true),
        ("src/[id].ts", "src/i.ts", true),
        // a path equal to the pattern text always matches
        ("pages/[...slug].tsx", "pages/[...slug].tsx", true),
        ("*.jsx?", "page.js", false),
        ("*.jsx?", "page.jsx", false),
        ("a/**/b", "a/b", true),
        ("a/**/b", "a/x/y/b", true),
        ("a/**", "a", true),
        ("**/node_modules/**", "x/node_modules/y/z.js", true),
        ("**/node_modules/**", "node_modules", true),
        ("a/*/**", "a/b", false),
        ("(a|b)/x", "b/x", true),
        ("a/b/**/*", "a/b", false),
        ("*.{js,ts}", "x.ts", true),
        ("**/*.{js,ts}", "x/y.js", true),
        ("**/.*", "a/.env", true),
        (".*", ".env", true),
        ("*/*", "a/b", true),
        ("*.*", "a.b", true),
    ];
    assert!(table.len() >= 60);
    for &(pattern, path, want) in table {
        assert_eq!(
            picomatch(pattern, path),
            want,
            "picomatch({pattern:?})({path:?})"
        );
    }
}

#[test]
fn picomatch_negation_flags() {
    let s = set(
        Dialect::Picomatch,
        &["!a", "!!a", "!!!a", "!(a)", "!!(a)", "a!"],
    );
    let flags: Vec<bool> = (0..s.len()).map(|i| s.is_negated(i)).collect();
    assert_eq!(flags, [true, false, true, false, true, false]);
    let mut out = Vec::new();
    s.matches_into("a", &mut out);
    // bodies: `a`, `a`, `a`, `!(a)`, `!(a)`, `a!`
    assert_eq!(out, [true, true, true, false, false, false]);
    s.matches_into("b", &mut out);
    assert_eq!(out, [false, false, false, true, true, false]);
}

#[test]
fn picomatch_negated_pattern_text_and_line_breaks() {
    // picomatch's negated matcher is true for a path equal to the pattern text and false for
    // a path with a line break; `!body` must reproduce both.
    assert!(picomatch("!foo", "!foo"));
    assert!(!picomatch("!foo", "foo"));
    assert!(!picomatch("!foo", "bar\nbaz"));
    assert!(!picomatch("**", "a\nb"));
    assert!(picomatch("a*", "a\nb"));
}

#[test]
fn picomatch_unusual_paths_use_exact_semantics() {
    // Not plain paths: picomatch's lookaheads decide them (values recorded with picomatch).
    assert!(!picomatch("**", "a/../b"));
    assert!(!picomatch("a/**", "a/../b"));
    assert!(!picomatch("a/**", "a/b/../c"));
    assert!(picomatch("a/*/b", "a//b"));
    assert!(!picomatch("*", "."));
}

#[test]
fn github_cheat_sheet() {
    // "Patterns to match file paths", every row, with its example matches and some paths the
    // description excludes.
    let rows: &[(&[&str], &[&str], &[&str])] = &[
        (&["*"], &["README.md", "server.rb"], &["docs/file.txt"]),
        (
            &["*.jsx?"],
            &["page.js", "page.jsx"],
            &["page.jsxx", "page.ts"],
        ),
        (&["**"], &["all/the/files.md", "README.md"], &[]),
        (&["*.js"], &["app.js", "index.js"], &["js/index.js"]),
        (
            &["**.js"],
            &["index.js", "js/index.js", "src/js/app.js"],
            &["index.ts"],
        ),
        (
            &["docs/*"],
            &["docs/README.md", "docs/file.txt"],
            &["docs/mona/octocat.txt", "README.md"],
        ),
        (
            &["docs/**"],
            &["docs/README.md", "docs/mona/octocat.txt"],
            &["dir/docs/a.md"],
        ),
        (
            &["docs/**/*.md"],
            &[
                "docs/README.md",
                "docs/mona/hello-world.md",
                "docs/a/markdown/file.md",
            ],
            &["docs/a/file.txt", "README.md"],
        ),
        (
            &["**/docs/**"],
            &[
                "docs/hello.md",
                "dir/docs/my-file.txt",
                "space/docs/plan/space.doc",
            ],
            &["documents/a.md", "mydocs/a.md"],
        ),
        (
            &["**/README.md"],
            &["README.md", "js/README.md"],
            &["README.mdx", "js/MY-README.md"],
        ),
        (
            &["**/*src/**"],
            &["a/src/app.js", "my-src/code/js/app.js"],
            &["source/app.js"],
        ),
        (
            &["**/*-post.md"],
            &["my-post.md", "path/their-post.md"],
            &["post.md"],
        ),
        (
            &["**/migrate-*.sql"],
            &[
                "migrate-10909.sql",
                "db/migrate-v1.0.sql",
                "db/sept/migrate-v1.sql",
            ],
            &["db/migrate.sql"],
        ),
        (
            &["*.md", "!README.md"],
            &["hello.md"],
            &["README.md", "docs/hello.md"],
        ),
        (
            &["*.md", "!README.md", "README*"],
            &["hello.md", "README.md", "README.doc"],
            &["docs/hello.md"],
        ),
    ];
    for (patterns, yes, no) in rows {
        for path in *yes {
            assert!(
                github_included(patterns, path),
                "{patterns:?} should include {path:?}"
            );
        }
        for path in *no {
            assert!(
                !github_included(patterns, path),
                "{patterns:?} should not include {path:?}"
            );
        }
    }
}

#[test]
fn github_branch_patterns_and_escapes() {
    // The branch table's `+` after a class, and literal braces and backslash escapes.
    assert!(body(Dialect::Github, "v[12].[0-9]+.[0-9]+", "v1.10.1"));
    assert!(body(Dialect::Github, "v[12].[0-9]+.[0-9]+", "v2.0.0"));
    assert!(!body(Dialect::Github, "v[12].[0-9]+.[0-9]+", "v3.0.0"));
    assert!(body(Dialect::Github, "{a,b}.txt", "{a,b}.txt"));
    assert!(!body(Dialect::Github, "{a,b}.txt", "a.txt"));
    assert!(body(Dialect::Github, "\\*.md", "*.md"));
    assert!(!body(Dialect::Github, "\\*.md", "a.md"));
    assert!(!body(Dialect::Github, "[!a]x", "ax"));
    assert!(body(Dialect::Github, "[!a]x", "bx"));
    assert!(!body(Dialect::Github, "a[!b]c", "a/c"));
    let s = set(Dialect::Github, &["!docs/**", "docs/**"]);
    assert!(s.is_negated(0) && !s.is_negated(1));
}

#[test]
fn gitlab_golden() {
    // (glob, path, File.fnmatch?(glob, path, FNM_PATHNAME|FNM_DOTMATCH|FNM_EXTGLOB)) from
    // Ruby; the first rows are gitlabhq's changes_spec.rb table.
    let table: &[(&str, &str, bool)] = &[
        ("Dockerfile", "Dockerfile", true),
        ("Dockerfile", "Gemfile", false),
        ("Docker*", "Dockerfile", true),
        ("Docker*", "Gemfile", false),
        ("project/build.properties", "project/build.properties", true),
        ("project/build.properties", "project/README.md", false),
        ("src/**/*.go", "src/gitlab.com/goproject/goproject.go", true),
        ("src/**/*.go", "src/gitlab.com/goproject/README.md", false),
        ("*.go", "main.go", true),
        ("*.go", "cmd/goproject/main.go", false),
        ("/*.go", "main.go", false),
        ("src/**", "src/a", true),
        ("src/**", "src/a/b", false),
        ("**", "a", true),
        ("**", "a/b", false),
        ("**/*", "a/b/c", true),
        ("**/a", "a", true),
        ("**/a", "x/y/a", true),
        ("*", ".hidden", true),
        ("a/**/b", "a/b", true),
        ("a/**/b", "a/x/y/b", true),
        ("a**/b", "ax/b", true),
        ("a**/b", "ax/y/b", false),
        ("!a", "!a", true),
        ("!a", "b", false),
        ("./a", "a", false),
        ("[^a]", "b", true),
        ("[!a]", "a", false),
        ("[!a]", "b", true),
        ("a?c", "abc", true),
        ("a?c", "a/c", false),
        ("[a-c]/x", "b/x", true),
        ("[a-c]", "/", false),
        ("{a,b}.txt", "b.txt", true),
        ("{a,{b,c}}/x", "c/x", true),
        ("{a}", "a", true),
        ("{,src/}*.go", "src/x.go", true),
        ("{,src/}*.go", "x.go", true),
        ("{**/,}*.md", "a/b/c.md", true),
        ("{**/,}*.md", "c.md", true),
        ("\\*", "*", true),
        ("\\*", "a", false),
        ("a\\/b", "a/b", true),
        ("[a-]", "-", true),
        ("[z-a]", "z", true),
        ("[z-a]", "m", false),
        ("docs/**/*", "docs/a/b/c.md", true),
        ("docs/**/*", "docs", false),
        ("**/*.md", "README.md", true),
        ("**/docs/**", "docs/hello.md", true),
        ("**/docs/**/*", "x/docs/plan/a.doc", true),
        ("*.{js,ts}", "a.ts", true),
        ("a/**", "a/", true),
        ("src/*", "src/.env", true),
    ];
    for &(pattern, path, want) in table {
        assert_eq!(
            body(Dialect::Gitlab, pattern, path),
            want,
            "fnmatch({pattern:?}, {path:?})"
        );
    }
    let s = set(Dialect::Gitlab, &["!a"]);
    assert!(!s.is_negated(0));
}

#[test]
fn errors_carry_pattern_and_position() {
    let cases: &[(Dialect, &str, usize, &str)] = &[
        (Dialect::Picomatch, "", 0, "empty"),
        (Dialect::Picomatch, "src/[a", 4, "unclosed character class"),
        (Dialect::Picomatch, "a{b,c", 1, "unclosed `{`"),
        (Dialect::Picomatch, "src/@(a|b", 5, "unclosed `(`"),
        (Dialect::Picomatch, "!(a", 1, "unclosed `(`"),
        (Dialect::Picomatch, "src/\\", 4, "trailing"),
        (
            Dialect::Picomatch,
            "./src/[a",
            6,
            "unclosed character class",
        ),
        (Dialect::Picomatch, "a/(?!b)", 3, "lookaround"),
        (Dialect::Github, "", 0, "empty"),
        (Dialect::Github, "!", 0, "nothing follows"),
        (Dialect::Github, "?a", 0, "preceding"),
        (Dialect::Github, "docs/[a-", 5, "unclosed character class"),
        (Dialect::Github, "a[]", 1, "empty character class"),
        (Dialect::Github, "a\\", 1, "trailing"),
        (Dialect::Github, "[z-a]", 2, "out of order"),
        (Dialect::Gitlab, "", 0, "empty"),
        (Dialect::Gitlab, "a{b", 1, "unclosed `{`"),
        (Dialect::Gitlab, "src/[ab", 4, "unclosed character class"),
        (Dialect::Gitlab, "src\\", 3, "trailing"),
        (Dialect::Gitlab, "a[]b", 1, "never matches"),
    ];
    for &(dialect, pattern, position, text) in cases {
        let err = match GlobSet::new(dialect, &["ok/**", pattern]) {
            Ok(_) => panic!("{dialect:?} {pattern:?} should be rejected"),
            Err(e) => e,
        };
        assert_eq!(err.pattern, pattern, "{dialect:?} {pattern:?}");
        assert_eq!(err.position, position, "{dialect:?} {pattern:?}: {err}");
        assert!(err.message.contains(text), "{dialect:?} {pattern:?}: {err}");
    }
}

#[test]
fn error_display_and_dialect_parsing() {
    let err = GlobSet::new(Dialect::Picomatch, &["src/[a"])
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        err.as_deref(),
        Some("invalid glob 'src/[a' at character 5: unclosed character class `[`; write `\\[` to match a literal bracket")
    );
    assert_eq!("picomatch".parse::<Dialect>(), Ok(Dialect::Picomatch));
    assert_eq!("github".parse::<Dialect>(), Ok(Dialect::Github));
    assert_eq!("gitlab".parse::<Dialect>(), Ok(Dialect::Gitlab));
    assert_eq!(
        "minimatch".parse::<Dialect>(),
        Err("unknown glob dialect 'minimatch' (expected picomatch, github or gitlab)".to_string())
    );
}

#[test]
fn matches_into_resizes_and_reuses_the_buffer() {
    let s = set(Dialect::Picomatch, &["a/**", "!**/*.md", "a/**"]);
    assert_eq!(s.len(), 3);
    assert!(!s.is_empty());
    let mut out = vec![true; 10];
    s.matches_into("a/x.md", &mut out);
    assert_eq!(out, [true, true, true]);
    s.matches_into("b/x.ts", &mut out);
    assert_eq!(out, [false, false, false]);
    let empty = set(Dialect::Gitlab, &[]);
    assert!(empty.is_empty());
    empty.matches_into("a", &mut out);
    assert!(out.is_empty());
}

const PATTERNS: &[(Dialect, &[&str])] = &[
    (
        Dialect::Picomatch,
        &[
            "packages/pkg1/**",
            "!**/*.md",
            "**/*.md",
            "*.md",
            "**.js",
            "**",
            "**/*",
            "src/package1",
            "src/*",
            "src/**/*.ts",
            "a/**/b",
            "a/*/**",
            "{a,b}/**",
            "*.{js,ts}",
            "[a-c]*",
            "[!a]x",
            "!(**/*.tsx|**/*.less)",
            "src/!(test)/**",
            "**/!(*.d).ts",
            "*.!(js)",
            "@(a|b)/*",
            "+(a|b)",
            "a/**/.*",
            "{a.*,b}",
            "./src/**",
            "!!src/**",
            "a/b/**/*",
            "**/node_modules/**",
            "x/[[:alpha:]]*",
            "file{1..3}",
            "a\\*b",
            "(a|b)/x",
            "a/**/*.{md,txt}",
            "*/*",
        ],
    ),
    (
        Dialect::Github,
        &[
            "*",
            "*.jsx?",
            "**",
            "*.js",
            "**.js",
            "docs/*",
            "docs/**",
            "docs/**/*.md",
            "**/docs/**",
            "**/README.md",
            "**/*src/**",
            "**/*-post.md",
            "**/migrate-*.sql",
            "!README.md",
            "a+b",
            "v[12].[0-9]+",
            "x/[!a]*",
        ],
    ),
    (
        Dialect::Gitlab,
        &[
            "Dockerfile",
            "Docker*",
            "src/**/*.go",
            "*.go",
            "/*.go",
            "src/**",
            "**",
            "**/*",
            "**/a",
            "a**/b",
            "!a",
            "{a,b}.txt",
            "{,src/}*.go",
            "{**/,}*.md",
            "[!a]*",
            "a?c",
            "a\\/b",
        ],
    ),
];

const PATHS: &[&str] = &[
    "a",
    "b",
    "x",
    "a/b",
    "a/b/c",
    "a.md",
    "README.md",
    "docs/README.md",
    "docs/a/b.md",
    "src",
    "src/a.ts",
    "src/x/y/a.ts",
    "src/test/a.js",
    "src/testing/a.js",
    "src/lib/a.js",
    "src/package1",
    "src/package1/x",
    "packages/pkg1",
    "packages/pkg1/a.md",
    "packages/pkg1/src/x.ts",
    "packages/pkg10/x",
    "root.tsx",
    "a/b.tsx",
    "a/b/c.less",
    "a/b.d.ts",
    "a/b.ts",
    "x.js",
    "x.ts",
    "a.b",
    ".env",
    "a/.env",
    "a/x/.b",
    "b/x",
    "ab",
    "bx",
    "!x",
    "[!a]x",
    "file2",
    "a*b",
    "axb",
    "node_modules/x",
    "x/node_modules/y",
    "page.js",
    "page.jsx",
    "page.jsxx",
    "v1.10.1",
    "v1.x",
    "my-src/code/app.js",
    "db/migrate-1.sql",
    "main.go",
    "cmd/x/main.go",
    "{a,b}.txt",
    "b.txt",
    "!a",
    "c.md",
    "x/y/c.md",
    "a+b",
    "aab",
    "x/bcd",
    // not plain
    "a//b",
    "a/",
    "/a",
    "a/./b",
    "a/../b",
    ".",
    "a\nb",
    "src/\r.ts",
    "a\u{2028}b.md",
];

#[test]
fn set_agrees_with_single_patterns_and_the_exact_matcher() {
    for (dialect, patterns) in PATTERNS {
        let all = set(*dialect, patterns);
        let singles: Vec<GlobSet> = patterns.iter().map(|p| set(*dialect, &[p])).collect();
        let mut out = Vec::new();
        let mut one = Vec::new();
        for path in PATHS {
            all.matches_into(path, &mut out);
            assert_eq!(out.len(), patterns.len());
            assert_eq!(
                out,
                all.exact_matches(path),
                "{dialect:?} set vs exact matcher on {path:?}"
            );
            for (i, single) in singles.iter().enumerate() {
                single.matches_into(path, &mut one);
                assert_eq!(
                    out[i], one[0],
                    "{dialect:?} {:?} on {path:?}: set vs alone",
                    patterns[i]
                );
                assert_eq!(all.is_negated(i), single.is_negated(0));
            }
        }
    }
}

/// Random patterns from glob building blocks against random plain paths: the compiled set
/// (fast paths, lowered lookaheads, `RegexSet`) must agree with the exact matcher.
#[test]
fn lowering_agrees_with_the_exact_matcher_on_random_patterns() {
    let mut seed = 0x2545_f491_u64;
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let tokens = [
        "a",
        "b",
        ".",
        "/",
        "/",
        "*",
        "*",
        "**",
        "?",
        "[a-c]",
        "[!a]",
        "[^b]",
        "{a,b}",
        "{a,b/c}",
        "{1..3}",
        "@(a|b)",
        "!(a|b)",
        "!(*.js)",
        "+(a)",
        "*(a|b)",
        "?(a)",
        "x",
        ".js",
        "**/",
        "/**",
        "{,a}",
        "src",
        "(a|b)",
        "[[:alpha:]]",
    ];
    let segments = [
        "a", "b", ".a", "x.js", "a.b", "1", "ab", "src", "a.js", ".js", "ba", "x", "b.d.js",
    ];
    let mut paths = Vec::new();
    for _ in 0..120 {
        let n = 1 + next(4);
        let parts: Vec<&str> = (0..n).map(|_| segments[next(segments.len())]).collect();
        paths.push(parts.join("/"));
    }
    for dialect in [Dialect::Picomatch, Dialect::Github, Dialect::Gitlab] {
        let mut patterns = Vec::new();
        while patterns.len() < 150 {
            let n = 1 + next(5);
            let mut p = String::new();
            if next(8) == 0 {
                p.push('!');
            }
            for _ in 0..n {
                p.push_str(tokens[next(tokens.len())]);
            }
            if GlobSet::new(dialect, &[&p]).is_ok() {
                patterns.push(p);
            }
        }
        let refs: Vec<&str> = patterns.iter().map(String::as_str).collect();
        let s = set(dialect, &refs);
        let mut out = Vec::new();
        for path in &paths {
            s.matches_into(path, &mut out);
            let exact = s.exact_matches(path);
            for i in 0..refs.len() {
                assert_eq!(out[i], exact[i], "{dialect:?} {:?} on {path:?}", refs[i]);
            }
        }
    }
}

/// A run of backslashes at the end after a slash (`a/\\\\`) used to loop for ever while
/// parsing, as picomatch itself does (found by fuzzing): every pattern compiles or fails
/// in bounded time.
#[test]
fn trailing_backslash_runs_end_the_parse() {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for pattern in ["a/\\\\\\\\", "**/sr\\\\\\\\\\\\", "*/b\\\\\\\\", "a/\\\\\\"] {
            let compiled = crate::glob::GlobSet::new(crate::glob::Dialect::Picomatch, &[pattern]);
            let _ = tx.send((pattern, compiled.is_ok()));
        }
    });
    for _ in 0..4 {
        let answer = rx.recv_timeout(std::time::Duration::from_secs(20));
        assert!(answer.is_ok(), "a pattern's parse did not end");
    }
}
