//! Interoperability fixtures for `scripts/interop-test`.
//!
//! ```text
//! cargo run -p countersign-signing --example interop_fixtures -- OUTDIR
//! cargo run -p countersign-signing --example interop_fixtures -- --check DIR
//! ```
//!
//! The first form writes, from fixed seeds, `OUTDIR/envelopes.json` (DSSE
//! envelopes made by this crate, with their signers' public keys and the PAE
//! bytes) and `OUTDIR/jcs/*.json` (this crate's canonical JSON for sample
//! values), for independent implementations to verify.
//!
//! The second form is the other direction: it reads `DIR/envelopes.json` and
//! `DIR/jcs/*.json` made by another implementation, each item saying whether
//! it should pass, checks them with this crate, and prints one JSON object
//! per item (`{"name", "ok", "detail"}`) on stdout. It exits non-zero only
//! when it cannot read its input; the caller counts the results.

use std::collections::BTreeMap;
use std::error::Error;
use std::fs;
use std::path::Path;

use countersign_signing::jcs::{self, MAX_SAFE_INTEGER};
use countersign_signing::{
    SigningKey, dsse, fingerprint, generate, public_key_from_hex, public_key_to_hex,
};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use serde::Serialize;
use serde_json::{Value, json};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

const MANIFEST_TYPE: &str = "application/vnd.countersign.manifest+json";
const APPROVAL_TYPE: &str = "application/vnd.countersign.approval+json";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [flag, dir] if flag == "--check" => check(Path::new(dir)),
        [dir] if !dir.starts_with('-') => write_fixtures(Path::new(dir)),
        _ => Err("usage: interop_fixtures OUTDIR | interop_fixtures --check DIR".into()),
    }
}

// --- Writing fixtures ------------------------------------------------------------

fn key(seed: u8) -> SigningKey {
    generate(&mut ChaCha20Rng::from_seed([seed; 32]))
}

fn signer_json(key: &SigningKey) -> Value {
    let public = key.verifying_key();
    json!({"keyid": fingerprint(&public), "public_key_hex": public_key_to_hex(&public)})
}

/// One envelopes.json entry: the envelope plus what a verifier needs.
fn entry(name: &str, env: &dsse::Envelope, signers: &[&SigningKey]) -> Result<Value> {
    let payload = dsse::payload_bytes(env)?;
    let signers: Vec<Value> = signers.iter().map(|k| signer_json(k)).collect();
    let first = signers.first().ok_or("an entry needs a signer")?;
    Ok(json!({
        "name": name,
        "envelope": env,
        "payload_type": env.payload_type,
        "public_key_hex": first["public_key_hex"],
        "keyid": first["keyid"],
        "signers": signers,
        "pae_hex": hex::encode(dsse::pae(&env.payload_type, &payload)),
    }))
}

#[derive(Serialize)]
struct Manifest {
    version: u32,
    project: String,
    files: Vec<FileEntry>,
    notes: Option<String>,
}

#[derive(Serialize)]
struct FileEntry {
    path: String,
    sha256: String,
    size: u64,
}

fn manifest() -> Manifest {
    Manifest {
        version: 1,
        project: "countersign".into(),
        files: vec![
            FileEntry {
                path: "bin/countersign".into(),
                sha256: "ab".repeat(32),
                size: 4_194_304,
            },
            FileEntry {
                path: "docs/LISEZMOI-é.md".into(),
                sha256: "cd".repeat(32),
                size: 0,
            },
        ],
        notes: None,
    }
}

/// The sample values whose canonical bytes go to jcs/NAME.json.
fn jcs_samples() -> Result<Vec<(&'static str, Vec<u8>)>> {
    let sorting = jcs::parse(
        br#"{
            "\u20ac": "Euro Sign",
            "\r": "Carriage Return",
            "\ufb33": "Hebrew Letter Dalet With Dagesh",
            "1": "One",
            "\ud83d\ude00": "Emoji: Grinning Face",
            "\u0080": "Control",
            "\u00f6": "Latin Small Letter O With Diaeresis",
            "</script>": "Browser Challenge"
        }"#,
    )?;
    let sorting_int: BTreeMap<&str, i64> = [
        ("\u{20ac}", 1),
        ("\r", 2),
        ("\u{fb33}", 3),
        ("1", 4),
        ("\u{1f600}", 5),
        ("\u{80}", 6),
        ("\u{f6}", 7),
        ("</script>", 8),
    ]
    .into();
    let utf16_order = json!({
        "\u{e000}": 1, "\u{1f600}": 2, "\u{ffff}": 3, "\u{d7ff}": 4, "\u{ff5e}": 5,
        "\u{10ffff}": 6, "\u{10000}": 7, "a": 8, "A": 9, "": 10, "aa": 11, "\u{7f}": 12,
    });
    let literals = jcs::parse(
        br#"{
            "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
            "literals": [null, true, false]
        }"#,
    )?;
    let controls: Vec<String> = (0u8..0x20).map(|c| char::from(c).to_string()).collect();
    let escapes = json!({
        "controls": controls,
        "all_controls": (0u8..0x20).map(char::from).collect::<String>(),
        "specials": "\"\\/\u{7f}\u{2028}\u{2029}<>&'`",
        "non_ascii": "é€😀\u{fffd}\u{80}\u{ff}\u{10ffff}",
        "keys": {"\n": 1, "\"": 2, "\\": 3, "\u{0}": 4, "\u{1f}": 5},
    });
    let integers = json!([
        0,
        1,
        -1,
        9,
        10,
        -10,
        100,
        255,
        256,
        65535,
        4_294_967_296i64,
        999_999_999_999_999i64,
        1_000_000_000_000_000i64,
        MAX_SAFE_INTEGER,
        -MAX_SAFE_INTEGER,
        MAX_SAFE_INTEGER - 1,
    ]);
    let mut nested = json!({"leaf": [true, false, null, "x", 0]});
    for depth in 0..20 {
        nested = if depth % 2 == 0 {
            json!([nested, {}])
        } else {
            json!({"level": depth, "inner": nested, "empty": []})
        };
    }
    let approval = json!({
        "approval": {"by": "3f".repeat(32), "decision": "approve", "comment": "LGTM 👍\nship it"},
        "subject": {"manifest_sha256": "00".repeat(32), "version": 7},
    });

    let samples: Vec<(&'static str, Vec<u8>)> = vec![
        ("sorting", jcs::to_vec(&sorting)?),
        ("sorting-int", jcs::to_vec(&sorting_int)?),
        ("utf16-order", jcs::to_vec(&utf16_order)?),
        ("literals", jcs::to_vec(&literals)?),
        ("escapes", jcs::to_vec(&escapes)?),
        ("integers", jcs::to_vec(&integers)?),
        ("nested", jcs::to_vec(&nested)?),
        ("manifest", jcs::to_vec(&manifest())?),
        ("approval", jcs::to_vec(&approval)?),
        ("empty-object", jcs::to_vec(&json!({}))?),
        ("empty-array", jcs::to_vec(&json!([]))?),
        ("scalar-string", jcs::to_vec("a\u{1}\u{2028}€")?),
        ("scalar-integer", jcs::to_vec(&-42)?),
        ("scalar-null", jcs::to_vec(&())?),
    ];
    Ok(samples)
}

fn write_fixtures(out: &Path) -> Result<()> {
    let (alice, bob) = (key(1), key(2));

    let manifest_payload = jcs::to_vec(&manifest())?;
    let approval_payload = jcs::to_vec(&json!({
        "decision": "approve",
        "manifest_sha256": "11".repeat(32),
        "reviewer": fingerprint(&bob.verifying_key()),
    }))?;
    let mut two = dsse::sign(APPROVAL_TYPE, &approval_payload, &alice);
    dsse::add_signature(&mut two, &bob)?;
    let binary: Vec<u8> = (0..=255u8).collect();
    let large: Vec<u8> = (0..70_000u32)
        .map(|i| b"countersign "[(i % 12) as usize])
        .collect();

    let envelopes = vec![
        entry(
            "manifest",
            &dsse::sign(MANIFEST_TYPE, &manifest_payload, &alice),
            &[&alice],
        )?,
        entry("approval-two-signers", &two, &[&alice, &bob])?,
        entry(
            "non-ascii-type",
            &dsse::sign(
                "application/vnd.countersign.tëst+json",
                "{\"é\":\"😀\"}".as_bytes(),
                &bob,
            ),
            &[&bob],
        )?,
        entry(
            "spec-hello-world",
            &dsse::sign("http://example.com/HelloWorld", b"hello world", &alice),
            &[&alice],
        )?,
        entry(
            "binary-payload",
            &dsse::sign("application/octet-stream", &binary, &alice),
            &[&alice],
        )?,
        entry(
            "empty-payload",
            &dsse::sign(MANIFEST_TYPE, b"", &bob),
            &[&bob],
        )?,
        entry(
            "large-payload",
            &dsse::sign("text/plain", &large, &alice),
            &[&alice],
        )?,
    ];

    fs::create_dir_all(out.join("jcs"))?;
    fs::write(
        out.join("envelopes.json"),
        serde_json::to_vec_pretty(&envelopes)?,
    )?;
    let samples = jcs_samples()?;
    for (name, bytes) in &samples {
        fs::write(out.join("jcs").join(format!("{name}.json")), bytes)?;
    }
    eprintln!(
        "wrote {} envelopes and {} canonical JSON samples to {}",
        envelopes.len(),
        samples.len(),
        out.display()
    );
    Ok(())
}

// --- Checking another implementation's output ------------------------------------

/// Print one result line.
fn report(name: &str, ok: bool, detail: impl Into<String>) {
    println!(
        "{}",
        json!({"name": name, "ok": ok, "detail": detail.into()})
    );
}

fn check(dir: &Path) -> Result<()> {
    let entries: Vec<Value> = serde_json::from_slice(&fs::read(dir.join("envelopes.json"))?)?;
    for item in &entries {
        check_envelope(item)?;
    }
    let mut files: Vec<_> = fs::read_dir(dir.join("jcs"))?.collect::<std::io::Result<_>>()?;
    files.sort_by_key(|f| f.file_name());
    for file in files {
        let name = format!("jcs/{}", file.file_name().to_string_lossy());
        let bytes = fs::read(file.path())?;
        // Files named *.noncanonical.json are negative controls.
        let expect_canonical = !name.ends_with(".noncanonical.json");
        match jcs::is_canonical(&bytes) {
            Ok(canonical) => {
                let reproduced = jcs::parse(&bytes)
                    .and_then(|v| jcs::to_vec(&v))
                    .map(|ours| ours == bytes)
                    .unwrap_or(false);
                let ok = canonical == expect_canonical && reproduced == expect_canonical;
                report(
                    &name,
                    ok,
                    format!("canonical={canonical}, expected {expect_canonical}"),
                );
            }
            Err(e) => report(&name, false, format!("strict parse failed: {e}")),
        }
    }
    Ok(())
}

fn check_envelope(item: &Value) -> Result<()> {
    let name = item["name"].as_str().ok_or("entry without a name")?;
    let expect_valid = item["expect_valid"]
        .as_bool()
        .ok_or("entry without expect_valid")?;
    let payload_type = item["payload_type"]
        .as_str()
        .ok_or("entry without payload_type")?;
    let mut keys = BTreeMap::new();
    for signer in item["signers"].as_array().ok_or("entry without signers")? {
        let keyid = signer["keyid"].as_str().ok_or("signer without keyid")?;
        let public = public_key_from_hex(
            signer["public_key_hex"]
                .as_str()
                .ok_or("signer without public_key_hex")?,
        )?;
        // The other implementation computed the key id: it must be our fingerprint.
        if fingerprint(&public) != keyid {
            report(
                name,
                false,
                format!("key id {keyid} is not the key's fingerprint"),
            );
            return Ok(());
        }
        keys.insert(keyid.to_owned(), public);
    }
    let envelope_bytes = serde_json::to_vec(&item["envelope"])?;
    let result = dsse::from_json(&envelope_bytes)
        .and_then(|env| dsse::verify(&env, payload_type, |id| keys.get(id).copied()));
    match (result, expect_valid) {
        (Ok(v), true) => {
            let all = v.valid_keyids.len() == keys.len() && v.unknown_keyids.is_empty();
            report(
                name,
                all,
                format!(
                    "valid keys {:?}, unknown {:?}",
                    v.valid_keyids, v.unknown_keyids
                ),
            );
        }
        (Ok(v), false) => report(
            name,
            false,
            format!(
                "verified but should not have: valid keys {:?}",
                v.valid_keyids
            ),
        ),
        (Err(e), true) => report(name, false, format!("did not verify: {e}")),
        (Err(e), false) => report(name, true, format!("refused as expected: {e}")),
    }
    Ok(())
}
