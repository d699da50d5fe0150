//! Token keys: HS256 with a configured or generated secret, or RS256/ES256 with a public key
//! from an external identity provider (and, for the `token` command, its private key).

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};

use super::{AuthError, Caller, Claims, Role};

/// How the keys are configured.
#[derive(Debug, Clone)]
pub struct KeyConfig {
    /// `HS256`, `RS256` or `ES256`.
    pub algorithm: Algorithm,
    /// HS256 secret given directly.
    pub secret: Option<String>,
    /// Where the generated HS256 secret is kept when none is configured.
    pub secret_file: PathBuf,
    /// PEM public key (RS256/ES256) used to verify.
    pub public_key_pem: Option<PathBuf>,
    /// PEM private key (RS256/ES256), only for signing with the `token` command.
    pub private_key_pem: Option<PathBuf>,
    pub issuer: String,
    pub audience: String,
}

/// Verification (and, where the key allows it, signing) keys.
pub struct Keys {
    algorithm: Algorithm,
    decoding: DecodingKey,
    encoding: Option<EncodingKey>,
    validation: Validation,
    issuer: String,
    audience: String,
    max_lifetime: Duration,
    /// Tokens verified before, with the caller each stands for and its expiry. A client sends
    /// the same token with every request; checking its signature and parsing its claims again
    /// was about 4% of an audited read's CPU with HS256, and an RSA or ECDSA check of an identity
    /// provider's token costs far more.
    verified: Mutex<HashMap<String, (Caller, u64)>>,
}

/// Tokens remembered at most; the memory is dropped whole when it fills (a few MB).
const VERIFIED_TOKENS: usize = 10_000;

/// The longest a token may live (`exp - iat`) unless configured otherwise: a stolen token is
/// useless by the next working day.
pub const DEFAULT_MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(12 * 3600);

/// Clock skew tolerated between the issuer and this service.
const LEEWAY_SECS: u64 = 30;

impl Keys {
    /// Loads keys; for HS256 without a configured secret, reads the secret file or creates it
    /// (32 random bytes, mode 0600) and logs where.
    pub fn load(config: &KeyConfig) -> Result<Keys, AuthError> {
        Keys::load_with(config, true)
    }

    /// Loads keys to sign with, never creating a secret: a secret made here would differ from
    /// the server's, and the token printed would be refused.
    pub fn load_existing(config: &KeyConfig) -> Result<Keys, AuthError> {
        Keys::load_with(config, false)
    }

    fn load_with(config: &KeyConfig, create: bool) -> Result<Keys, AuthError> {
        let (decoding, encoding) = match config.algorithm {
            Algorithm::HS256 => {
                let secret = match &config.secret {
                    Some(s) if s.len() >= 32 => s.as_bytes().to_vec(),
                    Some(_) => {
                        return Err(AuthError::Keys(
                            "CANCER_REGISTRY_JWT_SECRET must be at least 32 characters".into(),
                        ))
                    }
                    None => secret_from_file(&config.secret_file, create)?,
                };
                (
                    DecodingKey::from_secret(&secret),
                    Some(EncodingKey::from_secret(&secret)),
                )
            }
            Algorithm::RS256 | Algorithm::ES256 => {
                let path = config.public_key_pem.as_ref().ok_or_else(|| {
                    AuthError::Keys(format!(
                        "{:?} needs a public key: set CANCER_REGISTRY_JWT_PUBLIC_KEY to a PEM file",
                        config.algorithm
                    ))
                })?;
                let pem = read_key(path)?;
                let decoding = if config.algorithm == Algorithm::RS256 {
                    DecodingKey::from_rsa_pem(&pem)
                } else {
                    DecodingKey::from_ec_pem(&pem)
                }
                .map_err(|e| AuthError::Keys(format!("public key {}: {e}", path.display())))?;
                let encoding = match &config.private_key_pem {
                    None => None,
                    Some(p) => {
                        let pem = read_key(p)?;
                        Some(
                            if config.algorithm == Algorithm::RS256 {
                                EncodingKey::from_rsa_pem(&pem)
                            } else {
                                EncodingKey::from_ec_pem(&pem)
                            }
                            .map_err(|e| {
                                AuthError::Keys(format!("private key {}: {e}", p.display()))
                            })?,
                        )
                    }
                };
                (decoding, encoding)
            }
            other => {
                return Err(AuthError::Keys(format!(
                    "unsupported JWT algorithm {other:?}: use HS256, RS256 or ES256"
                )))
            }
        };
        // One algorithm only: a token signed with any other (including `none`, or HS256 signed
        // with the RSA public key as secret) is refused.
        let mut validation = Validation::new(config.algorithm);
        validation.set_issuer(&[&config.issuer]);
        validation.set_audience(&[&config.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECS;
        Ok(Keys {
            algorithm: config.algorithm,
            decoding,
            encoding,
            validation,
            issuer: config.issuer.clone(),
            audience: config.audience.clone(),
            max_lifetime: DEFAULT_MAX_TOKEN_LIFETIME,
            verified: Mutex::new(HashMap::new()),
        })
    }

    /// The longest lifetime (`exp - iat`) accepted and signed.
    pub fn with_max_lifetime(mut self, max: Duration) -> Keys {
        self.max_lifetime = max;
        self.verified = Mutex::new(HashMap::new());
        self
    }

    /// Verifies a bearer token and returns the caller it stands for. The message says what
    /// was wrong without echoing the token.
    pub fn verify(&self, token: &str) -> Result<Caller, AuthError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let mut verified = self.verified.lock().unwrap_or_else(|e| e.into_inner());
        match verified.get(token) {
            // Expired as the full check counts it (with its leeway).
            Some((caller, exp)) if now <= exp.saturating_add(LEEWAY_SECS) => {
                return Ok(caller.clone())
            }
            Some(_) => {
                verified.remove(token);
            }
            None => {}
        }
        drop(verified);
        let (caller, exp) = self.check(token, now)?;
        let mut verified = self.verified.lock().unwrap_or_else(|e| e.into_inner());
        if verified.len() >= VERIFIED_TOKENS {
            verified.clear();
        }
        verified.insert(token.to_string(), (caller.clone(), exp));
        Ok(caller)
    }

    /// The signature, claims and lifetime checks of [`Keys::verify`], and the token's expiry.
    fn check(&self, token: &str, now: u64) -> Result<(Caller, u64), AuthError> {
        use jsonwebtoken::errors::ErrorKind;
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| {
                let why = match e.kind() {
                    ErrorKind::ExpiredSignature => "the token has expired",
                    ErrorKind::ImmatureSignature => "the token is not valid yet (nbf)",
                    ErrorKind::InvalidSignature => "the token signature is invalid",
                    ErrorKind::InvalidIssuer => "the token issuer is not accepted",
                    ErrorKind::InvalidAudience => "the token audience is not accepted",
                    ErrorKind::InvalidAlgorithm => {
                        "the token is signed with an algorithm this service does not accept"
                    }
                    ErrorKind::MissingRequiredClaim(_) => "the token lacks a required claim",
                    _ => "the token is malformed",
                };
                AuthError::Unauthenticated(why.to_string())
            })?;
        let claims = data.claims;
        if claims.iat > now + LEEWAY_SECS {
            return Err(AuthError::Unauthenticated(
                "the token is issued in the future (iat)".to_string(),
            ));
        }
        if claims.exp.saturating_sub(claims.iat) > self.max_lifetime.as_secs() {
            return Err(AuthError::Unauthenticated(format!(
                "the token lives longer than the {} s this service accepts (exp - iat)",
                self.max_lifetime.as_secs()
            )));
        }
        let exp = claims.exp;
        Ok((claims.into_caller()?, exp))
    }

    /// Signs a token for `sub` (the `token` command and tests).
    pub fn sign(
        &self,
        sub: &str,
        roles: &[Role],
        facilities: Option<Vec<String>>,
        ttl: Duration,
    ) -> Result<String, AuthError> {
        let encoding = self.encoding.as_ref().ok_or_else(|| {
            AuthError::Keys(
                "no signing key: set CANCER_REGISTRY_JWT_PRIVATE_KEY to the PEM private key".into(),
            )
        })?;
        if ttl > self.max_lifetime {
            return Err(AuthError::Keys(format!(
                "a lifetime of {} s is longer than the {} s allowed (CANCER_REGISTRY_JWT_MAX_LIFETIME)",
                ttl.as_secs(),
                self.max_lifetime.as_secs()
            )));
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|e| AuthError::Keys(e.to_string()))?
            .as_secs();
        let claims = Claims {
            sub: sub.to_string(),
            roles: roles.iter().map(|r| r.as_str().to_string()).collect(),
            facilities,
            exp: now + ttl.as_secs(),
            nbf: Some(now),
            iat: now,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
        };
        jsonwebtoken::encode(&Header::new(self.algorithm), &claims, encoding)
            .map_err(|e| AuthError::Keys(format!("cannot sign the token: {e}")))
    }
}

fn read_key(path: &Path) -> Result<Vec<u8>, AuthError> {
    fs::read(path).map_err(|e| AuthError::Keys(format!("cannot read {}: {e}", path.display())))
}

fn secret_from_file(path: &Path, create: bool) -> Result<Vec<u8>, AuthError> {
    match fs::read_to_string(path) {
        Ok(text) => base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|e| {
                AuthError::Keys(format!("secret file {} is corrupt: {e}", path.display()))
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !create => {
            Err(AuthError::Keys(format!(
                "no token secret at {}: start the service first (it creates the secret beside the \
                 database), run this command where the service runs, or set CANCER_REGISTRY_JWT_SECRET \
                 (or CANCER_REGISTRY_JWT_SECRET_FILE) to the service's secret",
                path.display()
            )))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let secret: [u8; 32] = rand::random();
            let encoded = base64::engine::general_purpose::STANDARD.encode(secret);
            write_private(path, encoded.as_bytes())?;
            log::warn!(
                "no JWT secret configured: generated one in {} (mode 0600); mint tokens with `cancer-registry token`",
                path.display()
            );
            Ok(secret.to_vec())
        }
        Err(e) => Err(AuthError::Keys(format!(
            "cannot read the secret file {}: {e}",
            path.display()
        ))),
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), AuthError> {
    let err = |e: std::io::Error| {
        AuthError::Keys(format!(
            "cannot create the secret file {}: {e}",
            path.display()
        ))
    };
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(err)?;
    file.write_all(bytes).map_err(err)?;
    file.sync_all().map_err(err)
}

/// Parses a duration such as `8h`, `30m`, `2d`, `3600s` or `3600`.
pub fn parse_ttl(s: &str) -> Option<Duration> {
    let s = s.trim();
    let (num, unit) = s
        .find(|c: char| !c.is_ascii_digit())
        .map_or((s, "s"), |i| s.split_at(i));
    let n: u64 = num.parse().ok()?;
    let secs = match unit {
        "s" => n,
        "m" => n.checked_mul(60)?,
        "h" => n.checked_mul(3600)?,
        "d" => n.checked_mul(86_400)?,
        _ => return None,
    };
    (secs > 0).then(|| Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hs_config(dir: &Path) -> KeyConfig {
        KeyConfig {
            algorithm: Algorithm::HS256,
            secret: None,
            secret_file: dir.join("secret"),
            public_key_pem: None,
            private_key_pem: None,
            issuer: "cancer-registry".into(),
            audience: "cancer-registry".into(),
        }
    }

    #[test]
    fn generated_secret_is_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let keys = Keys::load(&hs_config(dir.path())).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.path().join("secret"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let token = keys
            .sign(
                "ann",
                &[Role::Registrar],
                Some(vec!["0000000001".into()]),
                Duration::from_secs(60),
            )
            .unwrap();
        let again = Keys::load(&hs_config(dir.path())).unwrap();
        let caller = again.verify(&token).unwrap();
        assert_eq!(caller.sub, "ann");
    }

    /// A remembered token answers only until it expires (with the leeway the full check
    /// allows); then it is checked again, and refused.
    #[test]
    fn remembered_tokens_expire() {
        let dir = tempfile::tempdir().unwrap();
        let keys = Keys::load(&hs_config(dir.path())).unwrap();
        let token = keys
            .sign("ann", &[Role::Registrar], None, Duration::from_secs(60))
            .unwrap();
        let caller = keys.verify(&token).unwrap();
        assert_eq!(keys.verified.lock().unwrap().len(), 1);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        // A string remembered with an expiry past the leeway is not answered from memory: it is
        // checked in full (this one, not a signed token, fails) and forgotten.
        let forged = format!("{token}x");
        keys.verified
            .lock()
            .unwrap()
            .insert(forged.clone(), (caller.clone(), now - LEEWAY_SECS - 1));
        assert!(keys.verify(&forged).is_err());
        assert!(!keys.verified.lock().unwrap().contains_key(&forged));
        // Within the leeway it still answers.
        keys.verified
            .lock()
            .unwrap()
            .insert(forged.clone(), (caller, now - LEEWAY_SECS + 5));
        assert_eq!(keys.verify(&forged).unwrap().sub, "ann");
    }

    #[test]
    fn parses_ttl() {
        assert_eq!(parse_ttl("8h"), Some(Duration::from_secs(28_800)));
        assert_eq!(parse_ttl("90"), Some(Duration::from_secs(90)));
        assert_eq!(parse_ttl("0h"), None);
        assert_eq!(parse_ttl("8x"), None);
    }
}
