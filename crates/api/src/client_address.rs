//! Where a request comes from, for the limits that count per address. Behind a load balancer
//! every request comes from the balancer, so its `X-Forwarded-For` is believed, but only from
//! the proxies the operator named (`INBOX_TRUSTED_PROXIES`): anyone else could write any
//! address there and never be limited.

use std::net::IpAddr;

use actix_web::HttpRequest;

/// The peer's address; when the peer is a trusted proxy, the last address in `X-Forwarded-For`
/// that is not a trusted proxy (the client as the outermost trusted proxy saw it).
pub fn client_address(request: &HttpRequest, trusted_proxies: &[IpAddr]) -> Option<IpAddr> {
    let peer = request.peer_addr()?.ip();
    if !trusted_proxies.contains(&peer) {
        return Some(peer);
    }
    let forwarded: Vec<&str> = request
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect();
    // From the right: each trusted proxy appended the address it was reached from.
    for hop in forwarded.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(address) if trusted_proxies.contains(&address) => continue,
            Ok(address) => return Some(address),
            // Anything left of an entry that cannot be read was not written by a proxy we trust.
            Err(_) => break,
        }
    }
    Some(peer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn from(peer: &str, forwarded: Option<&str>) -> HttpRequest {
        let request =
            TestRequest::default().peer_addr(format!("{peer}:4000").parse().expect("addr"));
        match forwarded {
            Some(forwarded) => request.insert_header(("X-Forwarded-For", forwarded)),
            None => request,
        }
        .to_http_request()
    }

    #[test]
    fn forwarded_addresses_are_believed_from_trusted_proxies_only() {
        let proxy: IpAddr = "10.0.0.5".parse().expect("ip");
        let trusted = [proxy];
        let address = |peer, forwarded| {
            client_address(&from(peer, forwarded), &trusted).map(|a| a.to_string())
        };
        assert_eq!(
            address("203.0.113.9", Some("198.51.100.1")).as_deref(),
            Some("203.0.113.9"),
            "not a proxy: ignored"
        );
        assert_eq!(
            address("10.0.0.5", Some("198.51.100.1")).as_deref(),
            Some("198.51.100.1")
        );
        assert_eq!(
            address("10.0.0.5", Some("6.6.6.6, 198.51.100.1, 10.0.0.5")).as_deref(),
            Some("198.51.100.1"),
            "what the client wrote itself is left of what the proxies appended"
        );
        assert_eq!(
            address("10.0.0.5", Some("nonsense")).as_deref(),
            Some("10.0.0.5")
        );
        assert_eq!(address("10.0.0.5", None).as_deref(), Some("10.0.0.5"));
    }
}
