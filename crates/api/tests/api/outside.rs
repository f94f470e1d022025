//! Real servers outside the inbox that the tests talk to: an SMTP server, and a webhook receiver
//! that verifies signatures the way Standard Webhooks says a receiver should.

use std::{
    collections::HashSet,
    path::Path,
    sync::{Arc, Mutex},
    time::Duration as StdDuration,
};

use reqwest::header::HeaderMap;
use serde_json::json;

/// A real SMTP server (Python's aiosmtpd) that keeps every message in a maildir.
pub struct SmtpServer {
    process: tokio::process::Child,
    pub port: u16,
    maildir: tempfile::TempDir,
}

impl SmtpServer {
    pub async fn start() -> SmtpServer {
        SmtpServer::start_with(&[]).await
    }

    /// With more of aiosmtpd's options: `--smtpscert`/`--smtpskey` for TLS from the start,
    /// `--tlscert`/`--tlskey` to require STARTTLS.
    pub async fn start_with(options: &[&str]) -> SmtpServer {
        SmtpServer::launch(|command, port, mail| {
            command
                .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
                .args(options)
                .args(["-c", "aiosmtpd.handlers.Mailbox"])
                .arg(mail);
        })
        .await
    }

    /// Our own aiosmtpd server (`smtp_server.py`), for what aiosmtpd's command line cannot do:
    /// `--refuse "550 …"` answers every message with that reply; `--auth user:password`
    /// requires AUTH with those credentials, over plain TCP.
    pub async fn start_scripted(options: &[&str]) -> SmtpServer {
        SmtpServer::launch(|command, port, mail| {
            command
                .arg(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/tests/api/smtp_server.py"
                ))
                .arg(port.to_string())
                .arg(mail)
                .args(options);
        })
        .await
    }

    /// Runs python3 with the arguments `args` gives for a free port and a maildir, until the
    /// server accepts connections.
    async fn launch(
        args: impl FnOnce(&mut tokio::process::Command, u16, std::path::PathBuf),
    ) -> SmtpServer {
        let maildir = tempfile::tempdir().expect("a maildir");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let mut command = tokio::process::Command::new("python3");
        // aiosmtpd creates the maildir only where nothing exists yet.
        args(&mut command, port, maildir.path().join("mail"));
        let process = command
            // Refused handshakes and AUTH without TLS are expected in some tests; aiosmtpd's
            // tracebacks and warnings about them are noise.
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("python3 with aiosmtpd (`just test` installs it)");
        SmtpServer::ready(process, port, maildir).await
    }

    /// The server once it accepts a connection; it takes well under the limit.
    async fn ready(
        process: tokio::process::Child,
        port: u16,
        maildir: tempfile::TempDir,
    ) -> SmtpServer {
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return SmtpServer {
                    process,
                    port,
                    maildir,
                };
            }
            tokio::time::sleep(StdDuration::from_millis(50)).await;
        }
        panic!("aiosmtpd did not start on port {port}");
    }

    /// Every message received so far, as received.
    pub fn messages(&self) -> Vec<String> {
        let new = self.maildir.path().join("mail").join("new");
        read_dir_texts(&new)
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.process.start_kill();
    }
}

fn read_dir_texts(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|entry| std::fs::read_to_string(entry.path()).ok())
                .collect()
        })
        .unwrap_or_default()
}

/// A webhook receiver (a voice provider's, an integration's) that checks every request the way Standard Webhooks
/// says a receiver should: the signature over `id.timestamp.body`, a timestamp within five
/// minutes, and an id it has not seen before.
pub struct SignedReceiver {
    pub url: String,
    pub accepted: Accepted,
    key: Arc<Mutex<Vec<u8>>>,
}

/// The requests a receiver accepted: their headers and body.
pub type Accepted = Arc<Mutex<Vec<(HeaderMap, Vec<u8>)>>>;

#[derive(Clone)]
struct Verifier {
    key: Arc<Mutex<Vec<u8>>>,
    clock: inbox_api::clock::ManualClock,
    seen: Arc<Mutex<HashSet<String>>>,
    accepted: Accepted,
}

impl Verifier {
    fn check(&self, headers: &HeaderMap, body: &[u8]) -> Result<(), &'static str> {
        use base64::{engine::general_purpose::STANDARD, Engine};
        use hmac::{Hmac, Mac};
        use inbox_api::clock::Clock;
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|value| value.to_str().ok())
                .ok_or("a webhook header is missing")
        };
        let (id, timestamp, signatures) = (
            header("webhook-id")?,
            header("webhook-timestamp")?,
            header("webhook-signature")?,
        );
        let sent_at: i64 = timestamp.parse().map_err(|_| "a bad timestamp")?;
        if (self.clock.now().timestamp() - sent_at).abs() > 300 {
            return Err("too old or from the future");
        }
        let key = self.key.lock().expect("key").clone();
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).expect("any key");
        mac.update(format!("{id}.{timestamp}.").as_bytes());
        mac.update(body);
        let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
        if !signatures.split(' ').any(|signature| signature == expected) {
            return Err("forged");
        }
        if !self.seen.lock().expect("seen").insert(id.to_owned()) {
            return Err("replayed");
        }
        Ok(())
    }
}

async fn receive(
    verifier: actix_web::web::Data<Verifier>,
    request: actix_web::HttpRequest,
    body: actix_web::web::Bytes,
) -> actix_web::HttpResponse {
    let mut headers = HeaderMap::new();
    for (name, value) in request.headers() {
        if let (Ok(name), Ok(value)) = (
            reqwest::header::HeaderName::from_bytes(name.as_str().as_bytes()),
            reqwest::header::HeaderValue::from_bytes(value.as_bytes()),
        ) {
            headers.insert(name, value);
        }
    }
    match verifier.check(&headers, &body) {
        Ok(()) => {
            verifier
                .accepted
                .lock()
                .expect("accepted")
                .push((headers, body.to_vec()));
            actix_web::HttpResponse::Ok().json(json!({"call_id": "call-42"}))
        }
        Err(why) => actix_web::HttpResponse::Unauthorized().body(why),
    }
}

impl SignedReceiver {
    /// A receiver at `/hook` that verifies with `key` and answers a verified request with 200
    /// and `{"call_id": "call-42"}`.
    pub async fn start(key: &[u8], clock: inbox_api::clock::ManualClock) -> SignedReceiver {
        let accepted = Arc::new(Mutex::new(Vec::new()));
        let key = Arc::new(Mutex::new(key.to_vec()));
        let verifier = actix_web::web::Data::new(Verifier {
            key: key.clone(),
            clock,
            seen: Arc::default(),
            accepted: accepted.clone(),
        });
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = listener.local_addr().expect("bound").port();
        let server = actix_web::HttpServer::new(move || {
            actix_web::App::new()
                .app_data(verifier.clone())
                .route("/hook", actix_web::web::post().to(receive))
        })
        .workers(1)
        .listen(listener)
        .expect("listening")
        .run();
        tokio::spawn(server);
        SignedReceiver {
            url: format!("http://127.0.0.1:{port}/hook"),
            accepted,
            key,
        }
    }

    /// From now on, verifies with the key of `secret`, as Standard Webhooks writes it (`whsec_`
    /// and base64): the secret an endpoint is given when it is registered.
    pub fn use_secret(&self, secret: &str) {
        use base64::{engine::general_purpose::STANDARD, Engine};
        let key = STANDARD
            .decode(
                secret
                    .strip_prefix("whsec_")
                    .expect("a Standard Webhooks secret"),
            )
            .expect("base64");
        *self.key.lock().expect("key") = key;
    }
}

/// A certificate authority of the test's own and a server certificate it signed for
/// 127.0.0.1, made with the `openssl` command.
pub struct TestCa {
    dir: tempfile::TempDir,
}

impl TestCa {
    pub fn new() -> TestCa {
        let dir = tempfile::tempdir().expect("a directory");
        let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
        std::fs::write(
            path("server.ext"),
            "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
        )
        .expect("extensions written");
        let steps: [&[&str]; 3] = [
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=Inbox Test CA",
                "-keyout",
                &path("ca.key"),
                "-out",
                &path("ca.pem"),
            ],
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-subj",
                "/CN=127.0.0.1",
                "-keyout",
                &path("server.key"),
                "-out",
                &path("server.csr"),
            ],
            &[
                "x509",
                "-req",
                "-days",
                "2",
                "-in",
                &path("server.csr"),
                "-CA",
                &path("ca.pem"),
                "-CAkey",
                &path("ca.key"),
                "-CAcreateserial",
                "-extfile",
                &path("server.ext"),
                "-out",
                &path("server.pem"),
            ],
        ];
        for step in steps {
            let status = std::process::Command::new("openssl")
                .args(step)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status()
                .expect("the openssl command");
            assert!(status.success(), "openssl {step:?}");
        }
        TestCa { dir }
    }

    /// The CA's certificate, PEM.
    pub fn ca_pem(&self) -> Vec<u8> {
        std::fs::read(self.file("ca.pem")).expect("the CA certificate")
    }

    /// The path of one of its files: `server.pem`, `server.key`.
    pub fn file(&self, name: &str) -> String {
        self.dir.path().join(name).to_string_lossy().into_owned()
    }
}

/// An agent's precondition endpoint: answers `GET /check` with the status it is set to, and
/// counts the requests.
pub struct PreconditionServer {
    pub url: String,
    status: Arc<std::sync::atomic::AtomicU16>,
    pub asked: Arc<std::sync::atomic::AtomicUsize>,
}

impl PreconditionServer {
    /// Answers 200 until told otherwise.
    pub async fn start() -> PreconditionServer {
        use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
        let status = Arc::new(AtomicU16::new(200));
        let asked = Arc::new(AtomicUsize::new(0));
        let (answer, count) = (status.clone(), asked.clone());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = listener.local_addr().expect("bound").port();
        let server = actix_web::HttpServer::new(move || {
            let (answer, count) = (answer.clone(), count.clone());
            actix_web::App::new().route(
                "/check",
                actix_web::web::get().to(move || {
                    let (answer, count) = (answer.clone(), count.clone());
                    async move {
                        count.fetch_add(1, Ordering::SeqCst);
                        let status =
                            actix_web::http::StatusCode::from_u16(answer.load(Ordering::SeqCst))
                                .expect("a status");
                        actix_web::HttpResponse::build(status).finish()
                    }
                }),
            )
        })
        .workers(1)
        .listen(listener)
        .expect("listening")
        .run();
        tokio::spawn(server);
        PreconditionServer {
            url: format!("http://127.0.0.1:{port}/check"),
            status,
            asked,
        }
    }

    pub fn answer(&self, status: u16) {
        self.status
            .store(status, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn times_asked(&self) -> usize {
        self.asked.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// A team channel's incoming webhook (Slack's kind): keeps the JSON body of every POST.
pub struct ChannelReceiver {
    pub url: String,
    posts: Arc<Mutex<Vec<serde_json::Value>>>,
}

impl ChannelReceiver {
    pub async fn start() -> ChannelReceiver {
        let posts = Arc::new(Mutex::new(Vec::new()));
        let kept = posts.clone();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = listener.local_addr().expect("bound").port();
        let server = actix_web::HttpServer::new(move || {
            let kept = kept.clone();
            actix_web::App::new().route(
                "/services/hook",
                actix_web::web::post().to(move |body: actix_web::web::Json<serde_json::Value>| {
                    let kept = kept.clone();
                    async move {
                        kept.lock().expect("not poisoned").push(body.into_inner());
                        actix_web::HttpResponse::Ok().body("ok")
                    }
                }),
            )
        })
        .workers(1)
        .listen(listener)
        .expect("listening")
        .run();
        tokio::spawn(server);
        ChannelReceiver {
            url: format!("http://127.0.0.1:{port}/services/hook"),
            posts,
        }
    }

    /// The posts received so far.
    pub fn posts(&self) -> Vec<serde_json::Value> {
        self.posts.lock().expect("not poisoned").clone()
    }
}
