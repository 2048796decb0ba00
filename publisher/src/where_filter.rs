//! `--where KEY=VALUE` on `publisher sessions` and `publisher send`: the
//! live sessions a filter keeps, and the refusal when a send's filter keeps
//! none. Which session meets which condition is the contract's rule
//! ([`Where`]); this module only applies it to what the publisher holds,
//! so `sessions --where` lists exactly the set `send --where` targets.

use crate::error::{Error, ErrorKind};
use crate::i18n::{errors, tr};
use remote_message::sessions::{SessionInfo, Where};
use remote_message::SessionId;

/// Every `--where` as given, or a usage error (exit 2) saying what to write.
pub fn parse(raw: &[String]) -> Result<Where, Error> {
    Where::parse(raw).map_err(|e| ErrorKind::Usage.error(e.to_string()).caused_by(e))
}

/// The live sessions `filter` keeps, in their order.
pub fn listed(filter: &Where, mut live: Vec<SessionInfo>) -> Vec<SessionInfo> {
    live.retain(|s| filter.matches(s));
    live
}

/// A send's targets under `filter`: of `picked` (what `--session` and
/// `--user` chose, in order), or of every live session when they chose
/// nothing, those live now that meet every condition. A picked session
/// that is not live is dropped, as its labels and fields are unknown. An
/// empty filter changes nothing; a filter that keeps nothing refuses the
/// send (exit 5, nothing sent), naming the filter.
pub fn targets(
    filter: &Where,
    picked: Vec<SessionId>,
    live: &[SessionInfo],
) -> Result<Vec<SessionId>, Error> {
    if filter.is_empty() {
        return Ok(picked);
    }
    let info = |id: &SessionId| live.iter().find(|s| &s.id == id);
    if picked.is_empty() {
        let kept: Vec<SessionId> = live
            .iter()
            .filter(|s| filter.matches(s))
            .map(|s| s.id.clone())
            .collect();
        if kept.is_empty() {
            return Err(ErrorKind::NoSession.error(tr!(
                errors(),
                "no-session-where",
                filter = filter.to_string(),
                live = live.len()
            )));
        }
        return Ok(kept);
    }
    let picked_live: Vec<SessionId> = picked.into_iter().filter(|id| info(id).is_some()).collect();
    let kept: Vec<SessionId> = picked_live
        .iter()
        .filter(|id| info(id).is_some_and(|s| filter.matches(s)))
        .cloned()
        .collect();
    if kept.is_empty() {
        let distinct: std::collections::BTreeSet<&SessionId> = picked_live.iter().collect();
        return Err(ErrorKind::NoSession.error(tr!(
            errors(),
            "no-session-where-picked",
            filter = filter.to_string(),
            picked = distinct.len()
        )));
    }
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use super::*;
    use remote_message::UserName;

    fn session(id: &str, user: &str, dept: Option<&str>) -> SessionInfo {
        SessionInfo {
            id: id.parse().unwrap(),
            user: UserName::parse(user).ok(),
            host: format!("pc-{id}"),
            os: "linux".into(),
            version: "0.1.0".into(),
            since: "2026-11-22T08:00:00Z".parse().unwrap(),
            labels: dept
                .map(|d| [("dept".to_owned(), d.to_owned())].into())
                .unwrap_or_default(),
            xkey: None,
        }
    }

    fn fleet() -> Vec<SessionInfo> {
        vec![
            session("s1", "ann", Some("sales")),
            session("s2", "bob", Some("sales")),
            session("s3", "ann", Some("it")),
            session("s4", "carl", None),
        ]
    }

    fn filter(raw: &[&str]) -> Where {
        parse(&raw.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    fn ids(ids: &[&str]) -> Vec<SessionId> {
        ids.iter().map(|s| s.parse().unwrap()).collect()
    }

    /// Alone, a filter picks from every live session; with --session or
    /// --user it keeps only those of their picks that are live and match.
    #[test]
    fn a_filter_keeps_the_matching_live_sessions() {
        let live = fleet();
        let sales = filter(&["dept=sales"]);
        assert_eq!(targets(&sales, vec![], &live).unwrap(), ids(&["s1", "s2"]));
        let picked = ids(&["s3", "s2", "ghost", "s1"]);
        assert_eq!(targets(&sales, picked, &live).unwrap(), ids(&["s2", "s1"]));
        let none = Where::default();
        assert_eq!(
            targets(&none, ids(&["ghost"]), &live).unwrap(),
            ids(&["ghost"])
        );
        let listed: Vec<_> = listed(&filter(&["user=ANN"]), live)
            .into_iter()
            .map(|s| s.id)
            .collect();
        assert_eq!(listed, ids(&["s1", "s3"]));
    }

    /// A filter that keeps nothing is exit 5 and names the filter.
    #[test]
    fn no_match_is_no_session_and_names_the_filter() {
        let err = targets(&filter(&["dept=hr", "os=linux"]), vec![], &fleet()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NoSession);
        assert_eq!(
            err.to_string(),
            "no live session matches --where dept=hr --where os=linux (4 live); nothing was sent"
        );
        let picked = ids(&["s3", "s4", "s3", "ghost"]);
        let err = targets(&filter(&["dept=sales"]), picked, &fleet()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NoSession);
        assert_eq!(
            err.to_string(),
            "none of the 2 live sessions that --session and --user give matches --where dept=sales; nothing was sent"
        );
    }

    /// A bad --where is a usage error (exit 2) that says what to write.
    #[test]
    fn a_bad_where_is_a_usage_error() {
        let err = parse(&["dept".to_owned()]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Usage);
        assert!(err.to_string().contains("write KEY=VALUE"), "{err}");
    }
}
