//! `did:plc` operations, DIDs, DID documents and the directory's log rules.
//!
//! The fixtures below are single entries of the interop audit logs in the did-method-plc
//! repository (`interop_tests/audit_log/...`, themselves copied from go-didplc's `testdata`);
//! each is cited where it is used.

use std::collections::BTreeMap;

use atproto::cid::Cid;
use atproto::crypto::{KeyType, SigningKey};
use atproto::plc::*;
use atproto::syntax::Did;
use serde_json::{Value as Json, json};

const T0: i64 = 1_700_000_000_000;
const SECOND: i64 = 1000;
const HOUR: i64 = 60 * 60 * SECOND;

fn key(key_type: KeyType) -> SigningKey {
    SigningKey::generate(key_type)
}

fn did_key(key: &SigningKey) -> String {
    key.public_key().to_did_key()
}

fn did_keys(keys: &[&SigningKey]) -> Vec<String> {
    keys.iter().map(|k| did_key(k)).collect()
}

fn op(rotation: Vec<String>, handle: &str, prev: Option<Cid>) -> UnsignedOp {
    let signing = did_key(&key(KeyType::K256));
    PlcOperation::atproto(&signing, handle, "pds.example.com", rotation, prev).into()
}

fn parse_entry(text: &str) -> (Did, LogEntry) {
    LogEntry::from_audit_json(&serde_json::from_str(text).unwrap()).unwrap()
}

/// A DID and its indexed log, submitting operations the way the directory would.
struct Account {
    did: Did,
    log: Vec<LogEntry>,
}

impl Account {
    /// Creates a DID whose rotation keys are `rotation`, signed by `rotation[0]`, at `T0`.
    fn create(rotation: &[&SigningKey]) -> Account {
        let genesis = op(did_keys(rotation), "alice.test", None).sign(rotation[0]);
        let did = did_for_genesis(&genesis);
        let mut account = Account {
            did,
            log: Vec::new(),
        };
        account.submit(&genesis, T0).unwrap();
        account
    }

    fn live(&self) -> Vec<&LogEntry> {
        self.log.iter().filter(|e| !e.nullified).collect()
    }

    fn head(&self) -> Cid {
        self.live().last().unwrap().cid
    }

    fn submit(&mut self, op: &SignedOp, at: i64) -> Result<AcceptedOp, PlcError> {
        let accepted = assure_valid_next_op(&self.did, &self.log, op, at)?;
        for e in &mut self.log {
            if accepted.nullified.contains(&e.cid) {
                e.nullified = true;
            }
        }
        self.log.push(LogEntry::new(op.clone(), at));
        Ok(accepted)
    }
}

#[test]
fn genesis_operation_is_signed_verified_and_names_its_did() {
    let (k0, k1) = (key(KeyType::K256), key(KeyType::P256));
    let unsigned = op(did_keys(&[&k0, &k1]), "alice.test", None);
    let signed = unsigned.sign(&k1);

    // The signature covers the CBOR without `sig` and is 64 bytes of unpadded base64url.
    assert_eq!(signed.op, unsigned);
    assert_eq!(signed.sig.len(), 86);
    assert_eq!(signed.sig_bytes().unwrap().len(), 64);
    assert_eq!(signed.verify_sig(&did_keys(&[&k0, &k1])), Ok(1));
    assert_eq!(signed.verify_sig(&did_keys(&[&k1])), Ok(0));
    assert_eq!(
        signed.verify_sig(&did_keys(&[&k0])),
        Err(PlcError::InvalidSignature)
    );

    let did = did_for_genesis(&signed);
    let id = did.as_str().strip_prefix("did:plc:").unwrap();
    assert_eq!(id.len(), 24);
    assert!(is_plc_did(did.as_str()));
    assert_eq!(did, did_for_genesis(&signed), "derivation is deterministic");
    assert_ne!(
        did,
        did_for_genesis(&unsigned.sign(&k0)),
        "the sig is hashed"
    );
    assert_eq!(signed.cid(), Cid::for_dag_cbor(&signed.to_cbor()));

    let state = assure_valid_creation_op(&did, &signed).unwrap();
    assert_eq!(state.did, did);
    assert_eq!(state.rotation_keys, did_keys(&[&k0, &k1]));
    assert_eq!(state.handle(), Some("alice.test"));
    assert_eq!(
        state.atproto_pds_endpoint(),
        Some("https://pds.example.com")
    );
    assert_eq!(
        validate_operation_log(&did, std::slice::from_ref(&signed)),
        Ok(Some(state.clone()))
    );
    let accepted = assure_valid_next_op(&did, &[], &signed, T0).unwrap();
    assert_eq!(accepted.cid, signed.cid());
    assert_eq!(accepted.prev, None);
    assert!(accepted.nullified.is_empty());
    assert_eq!(accepted.state, Some(state));
}

#[test]
fn did_matches_a_reference_genesis_operation() {
    // Entry 0 of interop_tests/audit_log/valid/log_bnewbold_robocracy.json.
    let (did, entry) = parse_entry(
        r#"{"did":"did:plc:nhxcyu4ewwhl5pqil4dotqjo","operation":{"sig":"v9rHEhW4XVwMKRSd2yeFgk4-mZthHSZwJ4tShNPqDP4NH3w79CkxIOmJ393D6MEyWZLN1qxS1qBIbFEGtfoDDw","prev":null,"type":"plc_operation","services":{"atproto_pds":{"type":"AtprotoPersonalDataServer","endpoint":"https://pds.robocracy.org"}},"alsoKnownAs":["at://bnewbold.pds.robocracy.org"],"rotationKeys":["did:key:zQ3shcciz4AvrLyDnUdZLpQys3kyCsesojRNzJAieyDStGxGo"],"verificationMethods":{"atproto":"did:key:zQ3shazA2airLo8gNJvxGMFZWPJDRkLGNR6mn9Txsc8YYndwy"}},"cid":"bafyreidj5ywfhbfvr27l4cc7a3u4clup5vx343ufuzdliethuhzzxjbg4q","nullified":false,"createdAt":"2024-02-22T04:31:08.867Z"}"#,
    );
    assert_eq!(did_for_genesis(&entry.op), did);
    assert_eq!(entry.op.cid(), entry.cid);
    assert_eq!(
        entry.cid.to_string(),
        "bafyreidj5ywfhbfvr27l4cc7a3u4clup5vx343ufuzdliethuhzzxjbg4q"
    );
    let data = entry.op.to_data(&did).unwrap();
    assert_eq!(entry.op.verify_sig(&data.rotation_keys), Ok(0));
    assert_eq!(
        validate_audit_log(&did, std::slice::from_ref(&entry)),
        Ok(Some(data.clone()))
    );
    assert_eq!(
        data.atproto_pds_endpoint(),
        Some("https://pds.robocracy.org")
    );
    // The genesis op still passes today's incoming limits.
    assert_eq!(check_op_constraints(&entry.op), Ok(()));
}

#[test]
fn legacy_create_genesis_validates_and_normalizes() {
    // Entries 0 and 1 of interop_tests/audit_log/valid/log_legacy_dholms.json.
    let (did, genesis) = parse_entry(
        r#"{"did":"did:plc:yk4dd2qkboz2yv6tpubpc6co","operation":{"sig":"7QTzqO1BcL3eDzP4P_YBxMmv5U4brHzAItkM9w5o8gZA7ElZkrVYEwsfQCfk5EoWLk58Z1y6fyNP9x1pthJnlw","prev":null,"type":"create","handle":"dan.bsky.social","service":"https://bsky.social","signingKey":"did:key:zQ3shP5TBe1sQfSttXty15FAEHV1DZgcxRZNxvEWnPfLFwLxJ","recoveryKey":"did:key:zQ3shhCGUqDKjStzuDxPkTxN6ujddP4RkEKJJouJGRRkaLGbg"},"cid":"bafyreigcxay6ucqlwowfpu35alyxqtv3c4vsj7gmdtmnidsnqs6nblyarq","nullified":false,"createdAt":"2022-11-17T01:07:13.996Z"}"#,
    );
    let (_, update) = parse_entry(
        r#"{"did":"did:plc:yk4dd2qkboz2yv6tpubpc6co","operation":{"sig":"n-VWsPZY4xkFN8wlg-kJBU_yzWTNd2oBnbjkjxXu3HdjbBLaEB7K39JHIPn_DZVALKRjts6bUicjSEecZy8eIw","prev":"bafyreigcxay6ucqlwowfpu35alyxqtv3c4vsj7gmdtmnidsnqs6nblyarq","type":"plc_operation","services":{"atproto_pds":{"type":"AtprotoPersonalDataServer","endpoint":"https://bsky.social"}},"alsoKnownAs":["at://dholms.xyz"],"rotationKeys":["did:key:zQ3shhCGUqDKjStzuDxPkTxN6ujddP4RkEKJJouJGRRkaLGbg","did:key:zQ3shP5TBe1sQfSttXty15FAEHV1DZgcxRZNxvEWnPfLFwLxJ"],"verificationMethods":{"atproto":"did:key:zQ3shP5TBe1sQfSttXty15FAEHV1DZgcxRZNxvEWnPfLFwLxJ"}},"cid":"bafyreiho5sanautvnw3det66jcwic4vkeabc35y7iou3ygwj2l3xqcxdau","nullified":false,"createdAt":"2023-03-06T18:47:09.501Z"}"#,
    );
    assert!(genesis.op.is_legacy());
    assert_eq!(did_for_genesis(&genesis.op), did);
    assert_eq!(genesis.op.cid(), genesis.cid);
    assert_eq!(update.op.cid(), update.cid);

    let signing = "did:key:zQ3shP5TBe1sQfSttXty15FAEHV1DZgcxRZNxvEWnPfLFwLxJ";
    let recovery = "did:key:zQ3shhCGUqDKjStzuDxPkTxN6ujddP4RkEKJJouJGRRkaLGbg";
    let normalized = genesis.op.normalize().unwrap();
    assert_eq!(normalized.rotation_keys, [recovery, signing]);
    assert_eq!(normalized.verification_methods["atproto"], signing);
    assert_eq!(normalized.also_known_as, ["at://dan.bsky.social"]);
    assert_eq!(
        normalized.services["atproto_pds"],
        Service::new("AtprotoPersonalDataServer", "https://bsky.social")
    );
    assert_eq!(normalized.prev, None);

    let state = validate_operation_log(&did, &[genesis.op.clone(), update.op.clone()])
        .unwrap()
        .unwrap();
    assert_eq!(state.handle(), Some("dholms.xyz"));
    let accepted = assure_valid_next_op(
        &did,
        std::slice::from_ref(&genesis),
        &update.op,
        update.created_at,
    )
    .unwrap();
    assert_eq!(accepted.prev, Some(genesis.cid));

    // Readable, but no longer accepted as a new operation, and never after genesis.
    assert_eq!(
        assure_valid_next_op(&did, &[], &genesis.op, T0),
        Err(PlcError::LegacyOperation)
    );
    assert!(matches!(
        validate_operation_log(&did, &[genesis.op.clone(), genesis.op.clone()]),
        Err(PlcError::Improper(_))
    ));
}

#[test]
fn update_chain_is_validated_incrementally_and_as_a_log() {
    let (k0, k1, k2) = (key(KeyType::K256), key(KeyType::P256), key(KeyType::K256));
    let mut account = Account::create(&[&k0, &k1]);
    let mut at = T0;

    // Handle change signed by the second rotation key.
    at += SECOND;
    let handle = op(did_keys(&[&k0, &k1]), "bob.test", Some(account.head())).sign(&k1);
    let accepted = account.submit(&handle, at).unwrap();
    assert_eq!(accepted.state.unwrap().handle(), Some("bob.test"));

    // Rotate to a new key set; afterwards only the new keys can sign.
    at += SECOND;
    let rotate = op(did_keys(&[&k2]), "bob.test", Some(account.head())).sign(&k0);
    let accepted = account.submit(&rotate, at).unwrap();
    assert_eq!(accepted.state.unwrap().rotation_keys, did_keys(&[&k2]));
    at += SECOND;
    let by_old_key = op(did_keys(&[&k0]), "eve.test", Some(account.head())).sign(&k0);
    assert_eq!(
        account.submit(&by_old_key, at),
        Err(PlcError::InvalidSignature)
    );

    // An update built from the current state keeps everything but what changes.
    let current = account
        .live()
        .last()
        .unwrap()
        .op
        .to_data(&account.did)
        .unwrap();
    let mut next = current.to_operation(Some(account.head()));
    next.services.insert(
        "atproto_pds".into(),
        Service::new("AtprotoPersonalDataServer", "https://new.example.com"),
    );
    let moved = UnsignedOp::from(next).sign(&k2);
    let accepted = account.submit(&moved, at).unwrap();
    let state = accepted.state.unwrap();
    assert_eq!(
        state.atproto_pds_endpoint(),
        Some("https://new.example.com")
    );
    assert_eq!(state.atproto_signing_key(), current.atproto_signing_key());

    let ops: Vec<SignedOp> = account.log.iter().map(|e| e.op.clone()).collect();
    assert_eq!(ops.len(), 4);
    assert_eq!(
        validate_operation_log(&account.did, &ops),
        Ok(Some(state.clone()))
    );
    assert_eq!(
        validate_audit_log(&account.did, &account.log),
        Ok(Some(state))
    );
}

#[test]
fn higher_priority_key_nullifies_a_lower_priority_op_within_72_hours() {
    let (k0, k1) = (key(KeyType::P256), key(KeyType::K256));
    for delay in [HOUR, 72 * HOUR] {
        let mut account = Account::create(&[&k0, &k1]);
        let genesis = account.head();
        // The lower-priority key takes over...
        let takeover = op(did_keys(&[&k1]), "mallory.test", Some(genesis)).sign(&k1);
        account.submit(&takeover, T0 + SECOND).unwrap();
        // ...and the higher-priority key rewrites history from the genesis op.
        let recovery = op(did_keys(&[&k0, &k1]), "alice.test", Some(genesis)).sign(&k0);
        let accepted = account.submit(&recovery, T0 + SECOND + delay).unwrap();
        assert_eq!(accepted.prev, Some(genesis));
        assert_eq!(accepted.nullified, [takeover.cid()]);
        assert_eq!(account.head(), recovery.cid());
        // The replayed audit log agrees, nullified flags included.
        let state = validate_audit_log(&account.did, &account.log)
            .unwrap()
            .unwrap();
        assert_eq!(state.handle(), Some("alice.test"));
        // Nullified operations are no longer a valid prev.
        let on_nullified = op(did_keys(&[&k1]), "x.test", Some(takeover.cid())).sign(&k1);
        assert_eq!(
            account.submit(&on_nullified, T0 + 2 * SECOND + delay),
            Err(PlcError::PrevNotFound(takeover.cid()))
        );
    }
}

#[test]
fn recovery_after_72_hours_is_rejected() {
    let (k0, k1) = (key(KeyType::K256), key(KeyType::K256));
    let mut account = Account::create(&[&k0, &k1]);
    let genesis = account.head();
    let takeover = op(did_keys(&[&k1]), "mallory.test", Some(genesis)).sign(&k1);
    account.submit(&takeover, T0 + SECOND).unwrap();
    let recovery = op(did_keys(&[&k0]), "alice.test", Some(genesis)).sign(&k0);
    let late = T0 + SECOND + 72 * HOUR + 1;
    assert_eq!(
        account.submit(&recovery, late),
        Err(PlcError::LateRecovery {
            elapsed_ms: 72 * HOUR + 1
        })
    );
    // The window runs from the first nullified op, not the latest one.
    let follow_up = op(did_keys(&[&k1]), "mallory.test", Some(account.head())).sign(&k1);
    account.submit(&follow_up, T0 + 71 * HOUR).unwrap();
    assert!(matches!(
        account.submit(&recovery, late),
        Err(PlcError::LateRecovery { .. })
    ));
    // A fork also has to be later than the most recent operation.
    assert_eq!(
        account.submit(&recovery, T0 + 71 * HOUR),
        Err(PlcError::NonMonotonicTimestamp)
    );

    // Reference fixture: interop_tests/audit_log/invalid/log_invalid_nullification_too_slow.json
    // (recovery 72 h + 1 s after the nullified op).
    let entries: Vec<LogEntry> = [
        r#"{"did":"did:plc:oposgzvemyuhu3pcwow4ysjw","operation":{"type":"plc_operation","rotationKeys":["did:key:zQ3shQ4pJUy63hdGwyxjMbpVHjpsGtZQxEDVCvHWqbUAwqfjB","did:key:zQ3shRURF844SXVaMHarhBZmdfRxgEDw2KaGuRZYMREUzRp9y"],"verificationMethods":{},"alsoKnownAs":["at://foo"],"services":{},"prev":null,"sig":"rLbkRO-IDfN_HVaDaf-_uirfV0SntYU6dKoZ5sJXzzoZOeLenFqx2xkXaIz0pFMUXjYxm-UutuTz21HCtILwNg"},"cid":"bafyreidt3urwnjdgfb5g3yvtvxgesnuydskk5gowux3o4ehtolgxpkkwwq","nullified":false,"createdAt":"1970-01-01T00:00:00.000Z"}"#,
        r#"{"did":"did:plc:oposgzvemyuhu3pcwow4ysjw","operation":{"prev":"bafyreidt3urwnjdgfb5g3yvtvxgesnuydskk5gowux3o4ehtolgxpkkwwq","type":"plc_operation","services":{},"alsoKnownAs":["at://foo"],"rotationKeys":[],"verificationMethods":{},"sig":"fa5xNxqH2sPqcUKmtDVRWs4G6EjojgElwfrOTaHBKpBd5rd1wqFl_-ufa6vOHyZn8dMxICsWnFS9ia2wBRQuug"},"cid":"bafyreidb42dmd56qmvywbm2dxoig2a7qatcqpihhoz4epyxfcgnhyauvca","nullified":true,"createdAt":"1970-01-01T00:00:01.000Z"}"#,
        r#"{"did":"did:plc:oposgzvemyuhu3pcwow4ysjw","operation":{"prev":"bafyreidt3urwnjdgfb5g3yvtvxgesnuydskk5gowux3o4ehtolgxpkkwwq","type":"plc_operation","services":{},"alsoKnownAs":["at://foo"],"rotationKeys":["did:key:zQ3shQ4pJUy63hdGwyxjMbpVHjpsGtZQxEDVCvHWqbUAwqfjB","did:key:zQ3shRURF844SXVaMHarhBZmdfRxgEDw2KaGuRZYMREUzRp9y"],"verificationMethods":{},"sig":"crBZ1tt7ZvhgIo1adilehQvQHe45g9wzQrDhtXiLelA0MY-pxoWthTQtlarmq_IYcZMCwYsbtfFVbqxhmfDr5A"},"cid":"bafyreigw3xnh4jjxlpmsfckdwcfqgjhoydrl6odup3ge7c64hrvmz3fqr4","nullified":false,"createdAt":"1970-01-04T00:00:02.000Z"}"#,
    ]
    .iter()
    .map(|t| parse_entry(t).1)
    .collect();
    let did = Did::new("did:plc:oposgzvemyuhu3pcwow4ysjw").unwrap();
    assert_eq!(
        validate_audit_log(&did, &entries),
        Err(PlcError::LateRecovery {
            elapsed_ms: 72 * HOUR + SECOND
        })
    );
}

#[test]
fn lower_or_equal_priority_key_cannot_nullify() {
    let (k0, k1, k2) = (key(KeyType::K256), key(KeyType::P256), key(KeyType::K256));
    let mut account = Account::create(&[&k0, &k1, &k2]);
    let genesis = account.head();
    let by_middle = op(did_keys(&[&k1]), "bob.test", Some(genesis)).sign(&k1);
    account.submit(&by_middle, T0 + SECOND).unwrap();

    // Lower priority than the signer of the op to nullify.
    let by_lower = op(did_keys(&[&k2]), "eve.test", Some(genesis)).sign(&k2);
    assert_eq!(
        account.submit(&by_lower, T0 + HOUR),
        Err(PlcError::InsufficientKeyPriority)
    );
    // The same key cannot undo its own operation either.
    let by_same = op(did_keys(&[&k1, &k0]), "bob2.test", Some(genesis)).sign(&k1);
    assert_eq!(
        account.submit(&by_same, T0 + HOUR),
        Err(PlcError::InsufficientKeyPriority)
    );
    // A key that is not a rotation key at all.
    let stranger = key(KeyType::K256);
    let by_stranger = op(did_keys(&[&stranger]), "eve.test", Some(genesis)).sign(&stranger);
    assert_eq!(
        account.submit(&by_stranger, T0 + HOUR),
        Err(PlcError::InvalidSignature)
    );
    assert_eq!(account.live().len(), 2, "nothing was nullified");
}

#[test]
fn recovery_nullifies_every_later_op_including_a_tombstone() {
    let (k0, k1) = (key(KeyType::K256), key(KeyType::P256));
    let mut account = Account::create(&[&k0, &k1]);
    let genesis = account.head();
    let first = op(did_keys(&[&k0, &k1]), "bob.test", Some(genesis)).sign(&k1);
    account.submit(&first, T0 + SECOND).unwrap();
    let tombstone = UnsignedOp::tombstone(first.cid()).sign(&k1);
    let accepted = account.submit(&tombstone, T0 + 2 * SECOND).unwrap();
    assert_eq!(accepted.state, None);
    assert_eq!(validate_audit_log(&account.did, &account.log), Ok(None));

    let recovery = op(did_keys(&[&k0]), "alice.test", Some(genesis)).sign(&k0);
    let accepted = account.submit(&recovery, T0 + 3 * SECOND).unwrap();
    assert_eq!(accepted.nullified, [first.cid(), tombstone.cid()]);
    let state = validate_audit_log(&account.did, &account.log)
        .unwrap()
        .unwrap();
    assert_eq!(state.rotation_keys, did_keys(&[&k0]));
}

#[test]
fn reference_nullification_log_replays() {
    // interop_tests/audit_log/valid/log_nullification.json: the second rotation key empties
    // the rotation keys, the first key forks from genesis and nullifies that.
    let entries: Vec<(Did, LogEntry)> = [
        r#"{"did":"did:plc:2s2mvm52ttz6r4hocmrq7x27","operation":{"type":"plc_operation","rotationKeys":["did:key:zQ3shwPdax6jKMbhtzbueGwSjc7RnjsmPcNB1vQUpbKUCN1t1","did:key:zQ3shmMcsFLvSZQy2pSZFFKZNmQSNmyuSepPXMHpgTYrontu2"],"verificationMethods":{},"alsoKnownAs":["at://foo"],"services":{},"prev":null,"sig":"1pTjQD5-LA4gN6tz1t7-28Tzct9NI-oYMN8QVUQkB7493j-vKeZnZO0YqNNBCXsORatmfKUXwteC9zW82mi_yw"},"cid":"bafyreiguwtflhou46pupb3qtemh56x6o3fn3y7ym2q3jgoms35tdu2d5ga","nullified":false,"createdAt":"1970-01-01T00:00:00.000Z"}"#,
        r#"{"did":"did:plc:2s2mvm52ttz6r4hocmrq7x27","operation":{"prev":"bafyreiguwtflhou46pupb3qtemh56x6o3fn3y7ym2q3jgoms35tdu2d5ga","type":"plc_operation","services":{},"alsoKnownAs":["at://foo"],"rotationKeys":[],"verificationMethods":{},"sig":"XfbRKnfzmJyRXUrajAISgdiJWNdNFMFgtDnlKvj-bIZhpfqGd39xiylJVXXu5Usw2cc2Js4EeSPh2xfhUQNxSA"},"cid":"bafyreicbxgoelatj24iyqnevm7v4f22utxb75p756ztyu5v7cjxlwti3oa","nullified":true,"createdAt":"1970-01-01T00:00:01.000Z"}"#,
        r#"{"did":"did:plc:2s2mvm52ttz6r4hocmrq7x27","operation":{"prev":"bafyreiguwtflhou46pupb3qtemh56x6o3fn3y7ym2q3jgoms35tdu2d5ga","type":"plc_operation","services":{},"alsoKnownAs":["at://foo"],"rotationKeys":["did:key:zQ3shwPdax6jKMbhtzbueGwSjc7RnjsmPcNB1vQUpbKUCN1t1","did:key:zQ3shmMcsFLvSZQy2pSZFFKZNmQSNmyuSepPXMHpgTYrontu2"],"verificationMethods":{},"sig":"zCcbDgFbv5b0aGggLepLcARzNzH0sG6uuvq2GacyPsAsjDsLMZn6KmOxa50iWZEMRknQHsMYyMTS99eeTPu0fQ"},"cid":"bafyreidef3g2vvlshwzf7vxjyxg3lraahujvhtkpo7y3g4br52ft3lzwem","nullified":false,"createdAt":"1970-01-01T00:00:02.000Z"}"#,
    ]
    .iter()
    .map(|t| parse_entry(t))
    .collect();
    let did = entries[0].0.clone();
    let mut log: Vec<LogEntry> = entries.into_iter().map(|(_, e)| e).collect();

    let state = validate_audit_log(&did, &log).unwrap().unwrap();
    assert_eq!(state.rotation_keys.len(), 2);

    // Incrementally: the directory, holding entries 0 and 1, accepts entry 2 as a fork.
    let mut held = log[..2].to_vec();
    held[1].nullified = false;
    let accepted = assure_valid_next_op(&did, &held, &log[2].op, log[2].created_at).unwrap();
    assert_eq!(accepted.nullified, [log[1].cid]);

    // The audit log has to record the nullification the rules imply, and correct CIDs.
    log[1].nullified = false;
    assert_eq!(
        validate_audit_log(&did, &log),
        Err(PlcError::NullifiedMismatch {
            index: 1,
            recorded: false,
            computed: true
        })
    );
    log[1].nullified = true;
    let recorded = log[0].cid;
    log[0].cid = log[2].cid;
    assert!(matches!(
        validate_audit_log(&did, &log),
        Err(PlcError::CidMismatch { index: 0, computed }) if computed == recorded
    ));
}

#[test]
fn bad_signatures_are_rejected() {
    let (k0, k1) = (key(KeyType::K256), key(KeyType::P256));
    let mut account = Account::create(&[&k0]);
    let next = op(did_keys(&[&k0]), "bob.test", Some(account.head()));

    // Signed by a key that is not a rotation key.
    assert_eq!(
        account.submit(&next.sign(&k1), T0 + SECOND),
        Err(PlcError::InvalidSignature)
    );
    // Content changed after signing.
    let mut altered = next.sign(&k0);
    if let UnsignedOp::Operation(op) = &mut altered.op {
        op.also_known_as = vec!["at://eve.test".into()];
    }
    assert_eq!(
        account.submit(&altered, T0 + SECOND),
        Err(PlcError::InvalidSignature)
    );
    // Non-canonical encodings of a valid signature.
    let good = next.sign(&k0);
    for sig in [
        format!("{}==", good.sig),
        format!("{}\n", good.sig),
        good.sig.replace('-', "+").replace('_', "/"),
    ] {
        if sig == good.sig {
            continue;
        }
        let bad = SignedOp {
            sig,
            ..good.clone()
        };
        assert_eq!(
            account.submit(&bad, T0 + SECOND),
            Err(PlcError::SignatureEncoding)
        );
    }
    // Too short.
    let short = SignedOp {
        sig: good.sig[..80].to_owned(),
        ..good.clone()
    };
    assert!(matches!(
        account.submit(&short, T0 + SECOND),
        Err(PlcError::InvalidSignature | PlcError::SignatureEncoding)
    ));
    account.submit(&good, T0 + SECOND).unwrap();

    // A high-S k256 signature is not valid; entry 0 of
    // interop_tests/audit_log/invalid/log_invalid_sig_k256_high_s.json.
    let (did, entry) = parse_entry(
        r#"{"did":"did:plc:t63fj6hb7mahe7qcvgbqhdnk","operation":{"type":"plc_operation","rotationKeys":["did:key:zQ3shTBEaSruX6DJNAH3W9Weu95PYwrdQvmrHCSW9bLLZXrnw"],"verificationMethods":{},"alsoKnownAs":["at://high_s_k256"],"services":{},"prev":null,"sig":"cDdgXcFwiJFhTzUyEhmvG4uCqy_UEqTXiWN29O3CiMXtfPnNo7Mg_BsK1iv4VBt010RwJg5mnDOK20T6m8ltDw"},"cid":"bafyreie7wzkpryp3abzh4avjqmby3kuznuz3dwlqqgyfui25pecveba5oe","nullified":false,"createdAt":"1970-01-01T00:00:00.000Z"}"#,
    );
    assert_eq!(entry.op.cid(), entry.cid);
    assert_eq!(
        validate_operation_log(&did, &[entry.op]),
        Err(PlcError::InvalidSignature)
    );
}

#[test]
fn wrong_prev_and_bad_genesis_are_rejected() {
    let k0 = key(KeyType::K256);
    let mut account = Account::create(&[&k0]);
    let genesis = account.log[0].op.clone();

    let unknown = Cid::for_dag_cbor(b"\xa0");
    let dangling = op(did_keys(&[&k0]), "bob.test", Some(unknown)).sign(&k0);
    assert_eq!(
        account.submit(&dangling, T0 + SECOND),
        Err(PlcError::PrevNotFound(unknown))
    );
    let second_genesis = op(did_keys(&[&k0]), "bob.test", None).sign(&k0);
    assert_eq!(
        account.submit(&second_genesis, T0 + SECOND),
        Err(PlcError::MissingPrev)
    );
    assert!(matches!(
        account.submit(&genesis, T0 + SECOND),
        Err(PlcError::DuplicateOperation(_))
    ));
    // In a plain log each op must reference the one before it.
    let a = op(did_keys(&[&k0]), "a.test", Some(genesis.cid())).sign(&k0);
    let b = op(did_keys(&[&k0]), "b.test", Some(genesis.cid())).sign(&k0);
    assert_eq!(
        validate_operation_log(&account.did, &[genesis.clone(), a, b]),
        Err(PlcError::PrevMismatch)
    );

    // Genesis problems: wrong DID, a tombstone, a non-null prev.
    let other = op(did_keys(&[&k0]), "carol.test", None).sign(&k0);
    assert_eq!(
        assure_valid_next_op(&account.did, &[], &other, T0),
        Err(PlcError::GenesisHash {
            expected: did_for_genesis(&other)
        })
    );
    let tombstone = UnsignedOp::tombstone(unknown).sign(&k0);
    assert_eq!(
        assure_valid_next_op(&did_for_genesis(&tombstone), &[], &tombstone, T0),
        Err(PlcError::TombstoneGenesis)
    );
    let with_prev = op(did_keys(&[&k0]), "carol.test", Some(unknown)).sign(&k0);
    assert!(matches!(
        assure_valid_next_op(&did_for_genesis(&with_prev), &[], &with_prev, T0),
        Err(PlcError::Improper(_))
    ));
    assert_eq!(
        validate_operation_log(&account.did, &[]),
        Err(PlcError::EmptyLog)
    );
}

#[test]
fn operations_after_a_tombstone_are_rejected() {
    let (k0, k1) = (key(KeyType::K256), key(KeyType::K256));
    let mut account = Account::create(&[&k0, &k1]);
    let tombstone = UnsignedOp::tombstone(account.head()).sign(&k0);
    let accepted = account.submit(&tombstone, T0 + SECOND).unwrap();
    assert_eq!(accepted.state, None);

    // Nothing may follow it, even signed by the key that tombstoned...
    let revive = op(did_keys(&[&k0]), "alice.test", Some(tombstone.cid())).sign(&k0);
    assert_eq!(
        account.submit(&revive, T0 + 2 * SECOND),
        Err(PlcError::AfterTombstone)
    );
    // ...and a plain log may only end with one.
    let genesis = account.log[0].op.clone();
    assert_eq!(
        validate_operation_log(&account.did, &[genesis.clone(), tombstone.clone()]),
        Ok(None)
    );
    assert_eq!(
        validate_operation_log(&account.did, &[genesis, tombstone, revive]),
        Err(PlcError::AfterTombstone)
    );
    // A lower-priority key cannot fork around it either (k0 signed it, k1 ranks lower).
    let fork = op(did_keys(&[&k1]), "alice.test", Some(account.log[0].cid)).sign(&k1);
    assert_eq!(
        account.submit(&fork, T0 + 2 * SECOND),
        Err(PlcError::InsufficientKeyPriority)
    );
}

#[test]
fn json_round_trips_every_operation_shape() {
    let k0 = key(KeyType::P256);
    let genesis = op(did_keys(&[&k0]), "alice.test", None).sign(&k0);
    let tombstone = UnsignedOp::tombstone(genesis.cid()).sign(&k0);
    let legacy = UnsignedOp::from(LegacyCreate {
        signing_key: did_key(&k0),
        recovery_key: did_key(&k0),
        handle: "alice.test".into(),
        service: "https://pds.example.com".into(),
    })
    .sign(&k0);

    let json = genesis.to_json();
    let mut fields: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "alsoKnownAs",
            "prev",
            "rotationKeys",
            "services",
            "sig",
            "type",
            "verificationMethods"
        ]
    );
    assert_eq!(json["type"], "plc_operation");
    assert_eq!(json["prev"], Json::Null);
    assert_eq!(
        json["services"]["atproto_pds"],
        json!({"type": "AtprotoPersonalDataServer", "endpoint": "https://pds.example.com"})
    );
    assert_eq!(
        tombstone.to_json(),
        json!({"type": "plc_tombstone", "prev": genesis.cid().to_string(), "sig": tombstone.sig})
    );
    assert_eq!(legacy.to_json()["type"], "create");
    assert_eq!(legacy.to_json()["prev"], Json::Null);
    assert_eq!(legacy.to_json()["signingKey"], did_key(&k0));

    for op in [&genesis, &tombstone, &legacy] {
        let text = serde_json::to_string(op).unwrap();
        let back: SignedOp = serde_json::from_str(&text).unwrap();
        assert_eq!(&back, op);
        assert_eq!(back.cid(), op.cid());
        assert_eq!(&SignedOp::from_cbor(&op.to_cbor()).unwrap(), op);
        let unsigned: UnsignedOp = serde_json::from_value(op.op.to_json()).unwrap();
        assert_eq!(unsigned, op.op);
        assert!(op.op.to_json().get("sig").is_none());
    }

    // Strict shapes, as the reference's schemas.
    let reject = |edit: &dyn Fn(&mut Json)| {
        let mut json = genesis.to_json();
        edit(&mut json);
        assert!(
            matches!(SignedOp::from_json(&json), Err(PlcError::Malformed(_))),
            "accepted {json}"
        );
    };
    reject(&|j| j["extra"] = json!(1));
    reject(&|j| {
        j.as_object_mut().unwrap().remove("prev");
    });
    reject(&|j| {
        j.as_object_mut().unwrap().remove("sig");
    });
    reject(&|j| j["type"] = json!("plc_update"));
    reject(&|j| j["rotationKeys"] = json!([1]));
    reject(&|j| j["services"]["atproto_pds"]["extra"] = json!("x"));
    reject(&|j| j["verificationMethods"]["atproto"] = json!(null));
    reject(&|j| j["prev"] = json!("not a cid"));
    // A CID is hashed as written, so only its canonical spelling is accepted.
    reject(&|j| j["prev"] = json!(genesis.cid().to_string().to_uppercase()));
    assert!(matches!(
        UnsignedOp::from_json(&genesis.to_json()),
        Err(PlcError::Malformed(_))
    ));
    let mut tomb = tombstone.to_json();
    tomb["prev"] = Json::Null;
    assert!(SignedOp::from_json(&tomb).is_err());
    let mut leg = legacy.to_json();
    leg["prev"] = json!(genesis.cid().to_string());
    assert!(SignedOp::from_json(&leg).is_err());

    // The data view and the audit-log entry use the directory's field names.
    let did = did_for_genesis(&genesis);
    let data = genesis.to_data(&did).unwrap();
    let data_json = serde_json::to_value(&data).unwrap();
    let mut fields: Vec<&str> = data_json
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "alsoKnownAs",
            "did",
            "rotationKeys",
            "services",
            "verificationMethods"
        ]
    );
    assert_eq!(
        serde_json::from_value::<DocumentData>(data_json).unwrap(),
        data
    );
    let entry = LogEntry::new(genesis.clone(), 1_700_000_000_123);
    let audit = entry.to_audit_json(&did);
    assert_eq!(audit["createdAt"], "2023-11-14T22:13:20.123Z");
    assert_eq!(audit["cid"], genesis.cid().to_string());
    assert_eq!(LogEntry::from_audit_json(&audit).unwrap(), (did, entry));
}

#[test]
fn did_document_matches_the_directory_shape() {
    let k256 = key(KeyType::K256);
    let p256 = key(KeyType::P256);
    let ed25519 = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
    let did = Did::new("did:plc:7iza6de2dwap2sbkpav7c6c6").unwrap();
    let data = DocumentData {
        did: did.clone(),
        verification_methods: BTreeMap::from([
            ("atproto".to_owned(), did_key(&k256)),
            ("other".to_owned(), did_key(&p256)),
            ("zz".to_owned(), ed25519.to_owned()),
        ]),
        rotation_keys: did_keys(&[&p256]),
        also_known_as: vec!["at://alice.test".into(), "https://bob.test".into()],
        services: BTreeMap::from([
            (
                "atproto_pds".to_owned(),
                Service::new("AtprotoPersonalDataServer", "https://example.com"),
            ),
            (
                "other".to_owned(),
                Service::new("SomeService", "https://other.com"),
            ),
        ]),
    };
    let doc = to_did_document(&data);
    let mb = |k: &SigningKey| did_key(k).strip_prefix("did:key:").unwrap().to_owned();
    // Maps come out in the directory's order: shorter ids first.
    assert_eq!(
        doc,
        json!({
            "@context": [
                "https://www.w3.org/ns/did/v1",
                "https://w3id.org/security/multikey/v1",
                "https://w3id.org/security/suites/ecdsa-2019/v1",
                "https://w3id.org/security/suites/secp256k1-2019/v1",
            ],
            "id": did,
            "alsoKnownAs": ["at://alice.test", "https://bob.test"],
            "verificationMethod": [
                {
                    "id": "did:plc:7iza6de2dwap2sbkpav7c6c6#zz",
                    "type": "Multikey",
                    "controller": did,
                    "publicKeyMultibase": "z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
                },
                {
                    "id": "did:plc:7iza6de2dwap2sbkpav7c6c6#other",
                    "type": "Multikey",
                    "controller": did,
                    "publicKeyMultibase": mb(&p256),
                },
                {
                    "id": "did:plc:7iza6de2dwap2sbkpav7c6c6#atproto",
                    "type": "Multikey",
                    "controller": did,
                    "publicKeyMultibase": mb(&k256),
                },
            ],
            "service": [
                {"id": "#other", "type": "SomeService", "serviceEndpoint": "https://other.com"},
                {
                    "id": "#atproto_pds",
                    "type": "AtprotoPersonalDataServer",
                    "serviceEndpoint": "https://example.com",
                },
            ],
        })
    );

    // The common case: one signing key and the PDS; rotation keys never appear.
    let k0 = key(KeyType::K256);
    let genesis = op(did_keys(&[&k0]), "alice.test", None).sign(&k0);
    let did = did_for_genesis(&genesis);
    let doc = to_did_document(&genesis.to_data(&did).unwrap());
    assert_eq!(doc["@context"].as_array().unwrap().len(), 3);
    assert_eq!(doc["verificationMethod"][0]["id"], format!("{did}#atproto"));
    assert_eq!(
        doc["service"],
        json!([{
            "id": "#atproto_pds",
            "type": "AtprotoPersonalDataServer",
            "serviceEndpoint": "https://pds.example.com",
        }])
    );
    assert!(!doc.to_string().contains(&did_key(&k0)));
}

#[test]
fn incoming_operations_are_held_to_the_directory_limits() {
    let k0 = key(KeyType::K256);
    let base = match op(did_keys(&[&k0]), "alice.test", None) {
        UnsignedOp::Operation(op) => op,
        _ => unreachable!(),
    };
    let check = |edit: &dyn Fn(&mut PlcOperation)| {
        let mut op = base.clone();
        edit(&mut op);
        check_op_constraints(&UnsignedOp::from(op).sign(&k0))
    };
    assert_eq!(check(&|_| {}), Ok(()));
    let constraint = |r: Result<(), PlcError>| matches!(r, Err(PlcError::Constraint(_)));

    assert!(constraint(check(&|o| {
        o.also_known_as = (0..11).map(|i| format!("at://h{i}.test")).collect();
    })));
    assert!(constraint(check(&|o| {
        o.also_known_as = vec!["at://a.test".into(), "at://a.test".into()];
    })));
    assert!(constraint(check(&|o| {
        o.also_known_as = vec![format!("at://{}", "a".repeat(254))];
    })));
    assert!(constraint(check(&|o| {
        o.rotation_keys = (0..11).map(|_| did_key(&k0)).collect();
    })));
    // Ten duplicate keys are within the limits, as are none.
    assert_eq!(
        check(&|o| o.rotation_keys = (0..10).map(|_| did_key(&k0)).collect()),
        Ok(())
    );
    assert_eq!(check(&|o| o.rotation_keys.clear()), Ok(()));
    assert!(matches!(
        check(&|o| o.rotation_keys =
            vec!["did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK".into()]),
        Err(PlcError::InvalidRotationKey(_))
    ));
    // Verification methods may use any key type, but must be did:key base58btc.
    assert_eq!(
        check(&|o| {
            o.verification_methods.insert(
                "ed".into(),
                "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK".into(),
            );
        }),
        Ok(())
    );
    for bad in ["zQ3sh", "did:key:mAbc", "did:key:z0OIl"] {
        assert!(matches!(
            check(&|o| {
                o.verification_methods.insert("x".into(), bad.into());
            }),
            Err(PlcError::InvalidVerificationMethod(_))
        ));
    }
    assert!(constraint(check(&|o| {
        o.verification_methods.insert("x".repeat(33), did_key(&k0));
    })));
    assert!(constraint(check(&|o| {
        for i in 0..11 {
            o.services
                .insert(format!("s{i}"), Service::new("T", "https://example.com"));
        }
    })));
    assert!(constraint(check(&|o| {
        o.services.insert(
            "s".into(),
            Service::new("T", format!("https://{}", "e".repeat(510))),
        );
    })));
    assert!(matches!(
        check(&|o| {
            for i in 0..10 {
                let endpoint = format!("https://{}", "e".repeat(400));
                o.services
                    .insert(format!("s{i}"), Service::new("T", endpoint));
            }
        }),
        Err(PlcError::TooLarge { .. })
    ));
    // Limits apply to new operations only: assure_valid_next_op enforces them.
    let mut big = base.clone();
    big.also_known_as = (0..11).map(|i| format!("at://h{i}.test")).collect();
    let big = UnsignedOp::from(big).sign(&k0);
    assert!(constraint(
        assure_valid_next_op(&did_for_genesis(&big), &[], &big, T0).map(|_| ())
    ));
}
