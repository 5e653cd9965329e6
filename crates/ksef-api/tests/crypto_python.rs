//! Cross-checks our crypto against an independent implementation (Python `cryptography`):
//! Python decrypts what we encrypt (RSA-OAEP SHA-256 + AES-256-CBC) and encrypts what we decrypt.

use std::path::{Path, PathBuf};
use std::process::Command;

use ksef_api::crypto::{encrypt_ksef_token, EncryptionKey, SessionCipher};
use ksef_api::Secret;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

const SCRIPT: &str = r#"
import base64, hashlib, sys, datetime
try:
    from cryptography import x509
    from cryptography.x509.oid import NameOID
    from cryptography.hazmat.primitives import hashes, serialization, padding as sympad
    from cryptography.hazmat.primitives.asymmetric import rsa, padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
except ImportError as e:
    print("python package 'cryptography' is missing (pip install cryptography): %s" % e)
    sys.exit(3)

d = sys.argv[2]
def path(n): return d + "/" + n
oaep = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None)

if sys.argv[1] == "gen":
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "KSeF test key")])
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=365))
            .sign(key, hashes.SHA256()))
    open(path("cert.der"), "wb").write(cert.public_bytes(serialization.Encoding.DER))
    open(path("key.pem"), "wb").write(key.private_bytes(serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    spki = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    open(path("public_key_id.txt"), "w").write(base64.b64encode(hashlib.sha256(spki).digest()).decode())
elif sys.argv[1] == "check":
    key = serialization.load_pem_private_key(open(path("key.pem"), "rb").read(), password=None)
    aes_key = key.decrypt(open(path("wrapped_key.bin"), "rb").read(), oaep)
    iv = open(path("iv.bin"), "rb").read()
    assert len(aes_key) == 32 and len(iv) == 16, "key/iv sizes"
    def aes(data, encrypt):
        c = Cipher(algorithms.AES(aes_key), modes.CBC(iv))
        if encrypt:
            p = sympad.PKCS7(128).padder(); data = p.update(data) + p.finalize()
            e = c.encryptor(); return e.update(data) + e.finalize()
        dcr = c.decryptor(); raw = dcr.update(data) + dcr.finalize()
        u = sympad.PKCS7(128).unpadder(); return u.update(raw) + u.finalize()
    plain = aes(open(path("invoice.enc"), "rb").read(), False)
    assert plain == open(path("invoice.xml"), "rb").read(), "invoice plaintext differs"
    token = key.decrypt(base64.b64decode(open(path("token.b64")).read()), oaep)
    assert token == open(path("token_expected.txt"), "rb").read(), "token plaintext differs: %r" % token
    open(path("reply.enc"), "wb").write(aes(open(path("reply.txt"), "rb").read(), True))
    print("OK")
"#;

fn python(step: &str, dir: &Path) -> String {
    python_with(step, dir, &[])
}

fn python_with(step: &str, dir: &Path, envs: &[(&str, &Path)]) -> String {
    let script = dir.join("crosscheck.py");
    std::fs::write(&script, SCRIPT).unwrap();
    let interpreter = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let output = Command::new(&interpreter)
        .arg(&script)
        .arg(step)
        .arg(dir)
        .envs(envs.iter().copied())
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run {interpreter} (needed for the crypto cross-check): {e}")
        });
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "python step {step} failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn sample_invoice() -> Vec<u8> {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/ksef/samples/fa3-valid");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    std::fs::read(files.first().expect("at least one FA(3) sample")).unwrap()
}

#[test]
fn python_cryptography_agrees_with_our_encryption_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    python("gen", d);

    let key =
        EncryptionKey::from_certificate_der(&std::fs::read(d.join("cert.der")).unwrap()).unwrap();
    assert_eq!(
        key.public_key_id(),
        std::fs::read_to_string(d.join("public_key_id.txt")).unwrap()
    );

    let mut rng = ChaCha20Rng::seed_from_u64(42);
    let cipher = SessionCipher::generate(&mut rng);
    let info = cipher.encryption_info(&key, &mut rng).unwrap();
    assert_eq!(info.public_key_id, key.public_key_id());
    std::fs::write(d.join("wrapped_key.bin"), &info.encrypted_symmetric_key).unwrap();
    std::fs::write(d.join("iv.bin"), info.initialization_vector).unwrap();

    let xml = sample_invoice();
    let invoice = cipher.encrypt_invoice(&xml);
    std::fs::write(d.join("invoice.xml"), &xml).unwrap();
    std::fs::write(d.join("invoice.enc"), &invoice.content).unwrap();

    let token =
        Secret::new("20250819-EC-1ECDD12000-5EE71AE5E3-B7|internalId-5265877635-12345|abc123");
    let timestamp_ms = 1_750_000_000_123_i64;
    std::fs::write(
        d.join("token.b64"),
        encrypt_ksef_token(&key, &token, timestamp_ms, &mut rng).unwrap(),
    )
    .unwrap();
    std::fs::write(
        d.join("token_expected.txt"),
        format!("{}|{timestamp_ms}", token.expose()),
    )
    .unwrap();

    let reply = "Odpowiedź z Pythona: zażółć gęślą jaźń".as_bytes();
    std::fs::write(d.join("reply.txt"), reply).unwrap();

    assert_eq!(python("check", d).trim(), "OK");
    let reply_encrypted = std::fs::read(d.join("reply.enc")).unwrap();
    assert_eq!(cipher.decrypt(&reply_encrypted).unwrap(), reply);
}

#[test]
fn missing_cryptography_package_fails_loudly_instead_of_passing() {
    // Shadow the package with one that cannot be imported, as on a machine without it.
    let dir = tempfile::tempdir().unwrap();
    let shadow = dir.path().join("shadow");
    std::fs::create_dir(&shadow).unwrap();
    std::fs::write(
        shadow.join("cryptography.py"),
        "raise ImportError('simulated absence')\n",
    )
    .unwrap();
    let outcome =
        std::panic::catch_unwind(|| python_with("gen", dir.path(), &[("PYTHONPATH", &shadow)]));
    let message = outcome.expect_err("the cross-check must fail without the package");
    let text = message
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(
        text.contains("pip install cryptography"),
        "unclear failure: {text}"
    );
}
