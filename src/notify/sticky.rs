//! Sticky comments and notes: one per thread key, found again by a hidden marker and
//! updated in place.
//!
//! Concurrent runs: two runs that both find no comment both create one. So after creating,
//! a run lists again; if an older comment with the same marker exists, its own (newer) one
//! is deleted and its body written into the older one. The newer comment's creator always
//! sees the older one (that one existed before the newer was created), so exactly one
//! comment stays whatever the interleaving. Deleting a comment that another run already
//! deleted counts as done. Leftover duplicates from older races are deleted on the next
//! update. Ids grow with creation time on GitHub and GitLab, so "oldest" = smallest id.

use anyhow::Result;

/// The hidden first line that marks a comment as the one for `key`:
/// `<!-- shipgate:notify:<key> -->`, the one marker format of [`crate::ledger`] (the
/// format notify always wrote, so earlier sticky comments are found and updated).
pub fn marker(key: &str) -> String {
    crate::ledger::marker("notify", key)
}

/// A place that holds comments (a pull request's, a merge request's notes).
pub(crate) trait Notes {
    /// What a comment holds (Markdown text; a Slack message).
    type Body: ?Sized;
    /// Every comment as (id, body text), in any order.
    async fn list(&self) -> Result<Vec<(u64, String)>>;
    async fn create(&self, body: &Self::Body) -> Result<u64>;
    async fn update(&self, id: u64, body: &Self::Body) -> Result<()>;
    /// Deletes a comment; a missing one is not an error.
    async fn delete(&self, id: u64) -> Result<()>;
}

/// What [`upsert`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upserted {
    /// The comment that now holds the body.
    pub id: u64,
    /// True when this run created it.
    pub created: bool,
    /// Duplicates this run deleted.
    pub removed: Vec<u64>,
}

/// Ids of the comments that carry `marker`, oldest first. Only a marker at the very start
/// counts, so a commit message quoting one cannot claim a comment.
fn marked(all: &[(u64, String)], marker: &str) -> Vec<u64> {
    let mut ids: Vec<u64> = all
        .iter()
        .filter(|(_, body)| body.trim_start().starts_with(marker))
        .map(|(id, _)| *id)
        .collect();
    ids.sort_unstable();
    ids
}

/// Writes `body` (which must carry `marker`) into the one comment for `marker`: updates
/// it when it exists, else creates it, then settles a race as described above.
pub(crate) async fn upsert<N: Notes>(notes: &N, marker: &str, body: &N::Body) -> Result<Upserted> {
    let found = marked(&notes.list().await?, marker);
    if let Some((&oldest, rest)) = found.split_first() {
        notes.update(oldest, body).await?;
        for &dup in rest {
            notes.delete(dup).await?;
        }
        return Ok(Upserted {
            id: oldest,
            created: false,
            removed: rest.to_vec(),
        });
    }
    let mine = notes.create(body).await?;
    let again = marked(&notes.list().await?, marker);
    match again.first() {
        Some(&oldest) if oldest < mine => {
            notes.delete(mine).await?;
            notes.update(oldest, body).await?;
            Ok(Upserted {
                id: oldest,
                created: false,
                removed: vec![mine],
            })
        }
        _ => Ok(Upserted {
            id: mine,
            created: true,
            removed: Vec::new(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    /// An in-memory comment list; `race` is a comment another run creates right after
    /// our first list.
    struct Fake {
        comments: RefCell<Vec<(u64, String)>>,
        next: RefCell<u64>,
        race: RefCell<Option<String>>,
    }

    impl Fake {
        fn new(comments: Vec<(u64, String)>) -> Self {
            let next = comments.iter().map(|c| c.0).max().unwrap_or(0) + 1;
            Fake {
                comments: RefCell::new(comments),
                next: RefCell::new(next),
                race: RefCell::new(None),
            }
        }
        fn add(&self, body: &str) -> u64 {
            let id = *self.next.borrow();
            *self.next.borrow_mut() += 1;
            self.comments.borrow_mut().push((id, body.to_string()));
            id
        }
    }

    impl Notes for Fake {
        type Body = str;

        async fn list(&self) -> Result<Vec<(u64, String)>> {
            let out = self.comments.borrow().clone();
            if let Some(body) = self.race.borrow_mut().take() {
                self.add(&body);
            }
            Ok(out)
        }
        async fn create(&self, body: &str) -> Result<u64> {
            Ok(self.add(body))
        }
        async fn update(&self, id: u64, body: &str) -> Result<()> {
            for c in self.comments.borrow_mut().iter_mut() {
                if c.0 == id {
                    c.1 = body.to_string();
                }
            }
            Ok(())
        }
        async fn delete(&self, id: u64) -> Result<()> {
            self.comments.borrow_mut().retain(|c| c.0 != id);
            Ok(())
        }
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn markers_cannot_close_the_comment_early() {
        assert_eq!(marker("prod"), "<!-- shipgate:notify:prod -->");
        assert_eq!(marker("a-->b c"), "<!-- shipgate:notify:a-_b_c -->");
    }

    #[test]
    fn creates_once_then_updates_in_place() {
        let m = marker("k");
        let fake = Fake::new(vec![(1, "someone else".into()), (2, format!("quote {m}"))]);
        let first = block_on(upsert(&fake, &m, &format!("{m}\none"))).unwrap();
        assert!(first.created);
        let second = block_on(upsert(&fake, &m, &format!("{m}\ntwo"))).unwrap();
        assert_eq!((second.id, second.created), (first.id, false));
        let all = fake.comments.borrow();
        assert_eq!(all.len(), 3);
        assert!(all.iter().any(|c| c.1.ends_with("two")));
    }

    #[test]
    fn a_race_leaves_the_older_comment_with_our_body() {
        let m = marker("k");
        let fake = Fake::new(vec![]);
        // Another run creates its comment after our list and before our create.
        *fake.race.borrow_mut() = Some(format!("{m}\ntheirs"));
        let done = block_on(upsert(&fake, &m, &format!("{m}\nours"))).unwrap();
        assert_eq!(done.id, 1);
        assert_eq!(done.removed, vec![2]);
        let all = fake.comments.borrow();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0], (1, format!("{m}\nours")));
    }

    #[test]
    fn leftover_duplicates_are_removed_on_update() {
        let m = marker("k");
        let fake = Fake::new(vec![(5, format!("{m}\na")), (9, format!("{m}\nb"))]);
        let done = block_on(upsert(&fake, &m, &format!("{m}\nc"))).unwrap();
        assert_eq!((done.id, done.removed.clone()), (5, vec![9]));
        assert_eq!(fake.comments.borrow().len(), 1);
    }
}
