//! TEMPORARY stand-in with the agreed API, replaced by the real dialect engine.
use regex::RegexSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Picomatch,
    Github,
    Gitlab,
}

impl std::str::FromStr for Dialect {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "picomatch" => Ok(Dialect::Picomatch),
            "github" => Ok(Dialect::Github),
            "gitlab" => Ok(Dialect::Gitlab),
            _ => Err(format!(
                "unknown glob dialect '{s}' (expected picomatch, github or gitlab)"
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobError {
    pub pattern: String,
    pub position: usize,
    pub message: String,
}

impl std::fmt::Display for GlobError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "invalid glob '{}' at character {}: {}",
            self.pattern,
            self.position + 1,
            self.message
        )
    }
}

impl std::error::Error for GlobError {}

pub struct GlobSet {
    set: RegexSet,
    negated: Vec<bool>,
}

impl GlobSet {
    pub fn new(_dialect: Dialect, patterns: &[&str]) -> Result<GlobSet, GlobError> {
        let mut res = Vec::new();
        let mut negated = Vec::new();
        for p in patterns {
            let (neg, body) = match p.strip_prefix('!') {
                Some(b) => (true, b),
                None => (false, *p),
            };
            let body = body.strip_prefix("./").unwrap_or(body);
            let mut re = String::from("^");
            let chars: Vec<char> = body.chars().collect();
            let mut i = 0;
            while i < chars.len() {
                let c = chars[i];
                if c == '*' && chars.get(i + 1) == Some(&'*') {
                    if chars.get(i + 2) == Some(&'/') {
                        re.push_str("(?:.*/)?");
                        i += 3;
                        continue;
                    }
                    re.push_str(".*");
                    i += 2;
                    continue;
                }
                match c {
                    '*' => re.push_str("[^/]*"),
                    '?' => re.push_str("[^/]"),
                    '[' => {
                        return Err(GlobError {
                            pattern: p.to_string(),
                            position: i,
                            message: "classes unsupported in stand-in".into(),
                        })
                    }
                    c => re.push_str(&regex::escape(&c.to_string())),
                }
                i += 1;
            }
            if re.ends_with("/.*") {
                re.truncate(re.len() - 3);
                re.push_str("(?:/.*)?");
            }
            re.push('$');
            res.push(re);
            negated.push(neg);
        }
        let set = RegexSet::new(&res).map_err(|e| GlobError {
            pattern: patterns.join(","),
            position: 0,
            message: e.to_string(),
        })?;
        Ok(GlobSet { set, negated })
    }

    pub fn len(&self) -> usize {
        self.negated.len()
    }

    pub fn is_empty(&self) -> bool {
        self.negated.is_empty()
    }

    pub fn is_negated(&self, i: usize) -> bool {
        self.negated[i]
    }

    pub fn matches_into(&self, path: &str, out: &mut Vec<bool>) {
        out.clear();
        out.resize(self.len(), false);
        for i in self.set.matches(path).iter() {
            out[i] = true;
        }
    }
}
