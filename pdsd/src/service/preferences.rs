//! Private account preferences (`app.bsky.actor.getPreferences` / `putPreferences`), kept on
//! the PDS so a client's settings follow the account across devices and moves.
//!
//! Each namespace's preferences are one row of `account_pref`: the JSON array the client sent,
//! in its order. Only the `app.bsky` namespace is served, as the reference PDS does.

use atproto::syntax::{Datetime, Did};
use rusqlite::{OptionalExtension, params};
use serde_json::{Map, Value, json};

use super::account::account_by_did;
use super::{Service, ServiceError};

/// The namespace `app.bsky.actor.*Preferences` read and replace.
pub const APP_BSKY_NAMESPACE: &str = "app.bsky";

/// Holds the birth date: only a full session (account password) may read or write it.
pub const PERSONAL_DETAILS_PREF: &str = "app.bsky.actor.defs#personalDetailsPref";
/// Derived from the birth date on every read; never stored.
pub const DECLARED_AGE_PREF: &str = "app.bsky.actor.defs#declaredAgePref";

fn in_namespace(namespace: &str, pref_type: &str) -> bool {
    pref_type == namespace
        || pref_type
            .strip_prefix(namespace)
            .is_some_and(|rest| rest.starts_with('.'))
}

fn allowed(pref_type: &str, full_access: bool) -> bool {
    full_access || pref_type != PERSONAL_DETAILS_PREF
}

fn type_of(pref: &Value) -> Option<&str> {
    pref.get("$type").and_then(Value::as_str)
}

impl Service {
    /// The account's `app.bsky` preferences, plus a `declaredAgePref` computed from the birth
    /// date when one is set. Without `full_access` (an app password session) the personal
    /// details themselves are left out.
    pub async fn get_preferences(
        &self,
        did: Did,
        full_access: bool,
    ) -> Result<Vec<Value>, ServiceError> {
        let stored = self
            .blocking(move |s| s.db.read(|c| read_prefs(c, &did, APP_BSKY_NAMESPACE)))
            .await?;
        let today = Datetime::now();
        let mut prefs = stored;
        let birth_date = prefs
            .iter()
            .find(|p| type_of(p) == Some(PERSONAL_DETAILS_PREF))
            .and_then(|p| p.get("birthDate"))
            .and_then(Value::as_str)
            .filter(|d| !d.is_empty())
            .map(str::to_owned);
        if let Some(birth_date) = birth_date {
            let age = age_on(&birth_date, today.as_str());
            let over = |years: i64| age.is_some_and(|a| a >= years);
            prefs.push(json!({
                "$type": DECLARED_AGE_PREF,
                "isOverAge13": over(13),
                "isOverAge16": over(16),
                "isOverAge18": over(18),
            }));
        }
        prefs.retain(|p| type_of(p).is_some_and(|t| allowed(t, full_access)));
        Ok(prefs)
    }

    /// Replaces the account's `app.bsky` preferences with `prefs`. Every preference needs a
    /// `$type` in the namespace; personal details need `full_access`. Preferences the caller
    /// may not see (personal details, for an app password) are kept, and `declaredAgePref`,
    /// which is derived, is dropped.
    pub async fn put_preferences(
        &self,
        did: Did,
        prefs: Vec<Value>,
        full_access: bool,
    ) -> Result<(), ServiceError> {
        let mut types = Vec::with_capacity(prefs.len());
        for pref in &prefs {
            let t = type_of(pref)
                .ok_or_else(|| ServiceError::invalid("Preference is missing a $type"))?;
            types.push(t.to_owned());
        }
        if !types.iter().all(|t| in_namespace(APP_BSKY_NAMESPACE, t)) {
            return Err(ServiceError::invalid(format!(
                "Some preferences are not in the {APP_BSKY_NAMESPACE} namespace"
            )));
        }
        let forbidden: Vec<&str> = types
            .iter()
            .map(String::as_str)
            .filter(|t| !allowed(t, full_access))
            .collect();
        if !forbidden.is_empty() {
            return Err(ServiceError::invalid(format!(
                "Do not have authorization to set preferences: {}",
                forbidden.join(", ")
            )));
        }
        self.blocking(move |s| {
            s.db.write(|c| {
                let tx = c.transaction()?;
                if account_by_did(&tx, did.as_str())?.is_none() {
                    return Err(ServiceError::InvalidToken("Account not found".into()));
                }
                let mut next: Vec<Value> = read_prefs(&tx, &did, APP_BSKY_NAMESPACE)?
                    .into_iter()
                    .filter(|p| type_of(p).is_some_and(|t| !allowed(t, full_access)))
                    .collect();
                next.extend(
                    prefs
                        .into_iter()
                        .filter(|p| type_of(p) != Some(DECLARED_AGE_PREF)),
                );
                let json = serde_json::to_string(&next).map_err(ServiceError::internal)?;
                tx.execute(
                    "INSERT INTO account_pref (did, namespace, value_json) VALUES (?1, ?2, ?3) \
                     ON CONFLICT (did, namespace) DO UPDATE SET value_json = excluded.value_json",
                    params![did.as_str(), APP_BSKY_NAMESPACE, json],
                )?;
                tx.commit()?;
                Ok(())
            })
        })
        .await
    }
}

fn read_prefs(
    conn: &rusqlite::Connection,
    did: &Did,
    namespace: &str,
) -> Result<Vec<Value>, ServiceError> {
    let json: Option<String> = conn
        .query_row(
            "SELECT value_json FROM account_pref WHERE did = ?1 AND namespace = ?2",
            params![did.as_str(), namespace],
            |r| r.get(0),
        )
        .optional()?;
    let Some(json) = json else {
        return Ok(Vec::new());
    };
    let prefs: Vec<Map<String, Value>> = serde_json::from_str(&json).map_err(|e| {
        ServiceError::internal(
            anyhow::Error::new(e).context(format!("stored preferences of {did}")),
        )
    })?;
    Ok(prefs.into_iter().map(Value::Object).collect())
}

/// Whole years from `birth_date` to `today`, both read from their `YYYY-MM-DD` prefix (UTC, as
/// the reference PDS runs); `None` if `birth_date` does not start with a date.
fn age_on(birth_date: &str, today: &str) -> Option<i64> {
    let (by, bm, bd) = ymd(birth_date)?;
    let (ty, tm, td) = ymd(today)?;
    let mut age = ty - by;
    if (tm, td) < (bm, bd) {
        age -= 1;
    }
    Some(age)
}

fn ymd(s: &str) -> Option<(i64, i64, i64)> {
    let date = s.get(..10)?;
    let mut parts = date.split('-');
    let y = parts.next().filter(|p| p.len() == 4)?.parse().ok()?;
    let m = parts.next().filter(|p| p.len() == 2)?.parse().ok()?;
    let d = parts.next().filter(|p| p.len() == 2)?.parse().ok()?;
    ((1..=12).contains(&m) && (1..=31).contains(&d)).then_some((y, m, d))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::account::CreateAccountInput;
    use crate::service::test_util::TestPds;

    async fn pds_with_account() -> (TestPds, Did) {
        let pds = TestPds::with(|a| a.invite_required = Some(false)).await;
        let out = pds
            .service
            .create_account(CreateAccountInput {
                email: Some("alice@example.com".into()),
                handle: "alice.test".into(),
                password: Some("hunter22".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        let did = Did::new(&out.did).unwrap();
        (pds, did)
    }

    fn adult(birth_year: i64) -> Value {
        json!({"$type": PERSONAL_DETAILS_PREF, "birthDate": format!("{birth_year}-01-01T00:00:00.000Z")})
    }

    #[tokio::test]
    async fn preferences_round_trip_in_order_and_put_replaces_them_all() {
        let (pds, did) = pds_with_account().await;
        let s = &pds.service;
        assert!(
            s.get_preferences(did.clone(), true)
                .await
                .unwrap()
                .is_empty()
        );
        let first = vec![
            json!({"$type": "app.bsky.actor.defs#savedFeedsPrefV2", "items": [{"id": "1"}]}),
            json!({"$type": "app.bsky.actor.defs#adultContentPref", "enabled": false}),
            json!({"$type": "app.bsky.actor.defs#adultContentPref", "enabled": true}),
        ];
        s.put_preferences(did.clone(), first.clone(), true)
            .await
            .unwrap();
        assert_eq!(s.get_preferences(did.clone(), true).await.unwrap(), first);
        let second = vec![json!({"$type": "app.bsky.actor.defs#threadViewPref", "sort": "newest"})];
        s.put_preferences(did.clone(), second.clone(), false)
            .await
            .unwrap();
        assert_eq!(s.get_preferences(did, false).await.unwrap(), second);
    }

    #[tokio::test]
    async fn preferences_without_a_type_or_outside_app_bsky_are_invalid_request() {
        let (pds, did) = pds_with_account().await;
        let s = &pds.service;
        for bad in [
            json!({"enabled": true}),
            json!({"$type": 5}),
            json!("app.bsky.actor.defs#adultContentPref"),
            json!({"$type": "com.example.pref"}),
            json!({"$type": "app.bskyfake#pref"}),
        ] {
            let e = s
                .put_preferences(did.clone(), vec![bad.clone()], true)
                .await
                .unwrap_err();
            assert_eq!(e.xrpc_name(), "InvalidRequest", "{bad}");
        }
    }

    #[tokio::test]
    async fn personal_details_need_a_full_session_and_survive_app_password_writes() {
        let (pds, did) = pds_with_account().await;
        let s = &pds.service;
        let e = s
            .put_preferences(did.clone(), vec![adult(1990)], false)
            .await
            .unwrap_err();
        assert_eq!(e.xrpc_name(), "InvalidRequest");
        assert!(e.to_string().contains(PERSONAL_DETAILS_PREF), "{e}");

        s.put_preferences(did.clone(), vec![adult(1990)], true)
            .await
            .unwrap();
        let muted = json!({"$type": "app.bsky.actor.defs#mutedWordsPref", "items": []});
        s.put_preferences(did.clone(), vec![muted.clone()], false)
            .await
            .unwrap();

        let declared = json!({
            "$type": DECLARED_AGE_PREF,
            "isOverAge13": true, "isOverAge16": true, "isOverAge18": true,
        });
        assert_eq!(
            s.get_preferences(did.clone(), false).await.unwrap(),
            vec![muted.clone(), declared.clone()]
        );
        assert_eq!(
            s.get_preferences(did, true).await.unwrap(),
            vec![adult(1990), muted, declared]
        );
    }

    #[tokio::test]
    async fn declared_age_is_derived_and_never_stored() {
        let (pds, did) = pds_with_account().await;
        let s = &pds.service;
        let this_year: i64 = Datetime::now().as_str()[..4].parse().unwrap();
        let sent_age = json!({"$type": DECLARED_AGE_PREF, "isOverAge18": true});
        s.put_preferences(did.clone(), vec![adult(this_year - 14), sent_age], true)
            .await
            .unwrap();
        let prefs = s.get_preferences(did, true).await.unwrap();
        assert_eq!(prefs.len(), 2);
        assert_eq!(prefs[1]["$type"], DECLARED_AGE_PREF);
        assert_eq!(prefs[1]["isOverAge13"], true);
        assert_eq!(prefs[1]["isOverAge18"], false);
    }

    #[test]
    fn age_counts_whole_years_and_ignores_bad_dates() {
        assert_eq!(age_on("2000-06-15", "2018-06-14T10:00:00Z"), Some(17));
        assert_eq!(
            age_on("2000-06-15T00:00:00Z", "2018-06-15T00:00:00Z"),
            Some(18)
        );
        assert_eq!(age_on("not a date", "2018-06-15"), None);
        assert_eq!(age_on("2000-13-01", "2018-06-15"), None);
    }
}
