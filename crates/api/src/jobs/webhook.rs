//! Signed webhooks the way Standard Webhooks signs them: `webhook-id`, `webhook-timestamp` and
//! `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, so a receiver can reject
//! forgeries (a wrong signature) and replays (an old timestamp, or an id it has seen).

use base64::{engine::general_purpose::STANDARD, Engine};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Why a signed POST did not succeed.
#[derive(Debug)]
pub struct PostFailure {
    pub message: String,
    /// Whether trying again cannot help (the endpoint refused the message itself).
    pub permanent: bool,
    /// The HTTP status, when the endpoint answered.
    pub status: Option<u16>,
}

/// A webhook endpoint and the key its payloads are signed with.
#[derive(Clone)]
pub struct SignedEndpoint {
    pub url: String,
    key: Vec<u8>,
}

impl std::fmt::Debug for SignedEndpoint {
    // The key stays out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedEndpoint")
            .field("url", &self.url)
            .finish()
    }
}

impl SignedEndpoint {
    /// `secret` as Standard Webhooks writes it (`whsec_` and base64), or any other text, whose
    /// bytes are then the key.
    pub fn new(url: &str, secret: &str) -> SignedEndpoint {
        let key = secret
            .strip_prefix("whsec_")
            .and_then(|encoded| STANDARD.decode(encoded).ok())
            .unwrap_or_else(|| secret.as_bytes().to_vec());
        SignedEndpoint {
            url: url.to_owned(),
            key,
        }
    }

    /// The `webhook-signature` header of `body` sent as message `id` at `timestamp`.
    pub fn signature(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        // HMAC takes a key of any length.
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC-SHA256 accepts keys of every length"));
        mac.update(format!("{id}.{timestamp}.").as_bytes());
        mac.update(body);
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }

    /// POSTs `body` as message `id`, signed at `timestamp`; a 2xx answer, or why not.
    pub async fn post(
        &self,
        http: &reqwest::Client,
        id: &str,
        timestamp: i64,
        body: Vec<u8>,
    ) -> Result<reqwest::Response, PostFailure> {
        let mut request = http
            .post(&self.url)
            .header("content-type", "application/json");
        for (name, value) in self.headers(id, timestamp, &body) {
            request = request.header(name, value);
        }
        let response = request
            .body(body)
            .send()
            .await
            .map_err(|error| PostFailure {
                message: error.to_string(),
                permanent: false,
                status: None,
            })?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        // Client errors other than a timeout or a rate limit will not change on retry.
        let permanent = status.is_client_error()
            && status != reqwest::StatusCode::REQUEST_TIMEOUT
            && status != reqwest::StatusCode::TOO_MANY_REQUESTS;
        Err(PostFailure {
            message: format!("answered {status}"),
            permanent,
            status: Some(status.as_u16()),
        })
    }

    /// The three headers of a signed message.
    pub fn headers(&self, id: &str, timestamp: i64, body: &[u8]) -> [(&'static str, String); 3] {
        [
            ("webhook-id", id.to_owned()),
            ("webhook-timestamp", timestamp.to_string()),
            ("webhook-signature", self.signature(id, timestamp, body)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_match_the_standard_webhooks_example() {
        let endpoint = SignedEndpoint::new(
            "http://127.0.0.1/voice",
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        );
        assert_eq!(
            endpoint.signature(
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1614265330,
                br#"{"test": 2432232314}"#
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn another_body_or_time_signs_differently() {
        let endpoint = SignedEndpoint::new("http://127.0.0.1/voice", "plain secret");
        let signed = endpoint.signature("msg_1", 100, b"{}");
        assert_ne!(signed, endpoint.signature("msg_1", 100, b"{ }"));
        assert_ne!(signed, endpoint.signature("msg_1", 101, b"{}"));
        assert_ne!(signed, endpoint.signature("msg_2", 100, b"{}"));
    }
}
