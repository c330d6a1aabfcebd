//! Outbound webhooks that announce every step of a mobilisation order: the
//! four message formats (WeCom, DingTalk and Feishu group robots, and plain
//! JSON), their signatures, the rules for a webhook's URL, and the back-off
//! between attempts. Pure: the store queues, a worker sends.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::Sha256;

/// The message format a receiver expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WebhookFormat {
    /// 企业微信群机器人: `{"msgtype":"text","text":{"content":…}}`.
    Wecom,
    /// 钉钉群机器人: `{"msgtype":"text","text":{"content":…}}`, optionally signed in the URL.
    Dingtalk,
    /// 飞书群机器人: `{"msg_type":"text","content":{"text":…}}`, optionally signed in the body.
    Feishu,
    /// Plain JSON with the event's machine fields, for programs.
    Json,
}

impl WebhookFormat {
    /// Every format, in the order forms offer them.
    pub const ALL: [WebhookFormat; 4] =
        [WebhookFormat::Wecom, WebhookFormat::Dingtalk, WebhookFormat::Feishu, WebhookFormat::Json];

    /// The stable key, stored in the database and used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookFormat::Wecom => "wecom",
            WebhookFormat::Dingtalk => "dingtalk",
            WebhookFormat::Feishu => "feishu",
            WebhookFormat::Json => "json",
        }
    }

    /// Reads a key back.
    pub fn parse(s: &str) -> Option<WebhookFormat> {
        WebhookFormat::ALL.into_iter().find(|f| f.as_str() == s.trim())
    }

    /// Whether a signing secret means anything for this format.
    pub fn signs(self) -> bool {
        matches!(self, WebhookFormat::Dingtalk | WebhookFormat::Feishu | WebhookFormat::Json)
    }
}

/// Why a webhook's settings are refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// The URL is not an http(s) URL with a host.
    #[error("the URL must start with http:// or https:// and name a host")]
    BadUrl,
    /// The URL is too long.
    #[error("the URL is longer than 2000 characters")]
    LongUrl,
    /// The format is not one of the four.
    #[error("the format must be one of wecom, dingtalk, feishu, json")]
    BadFormat,
    /// The name is empty or too long.
    #[error("the name must have 1 to 100 characters")]
    BadName,
    /// The secret is too long or has spaces or control characters.
    #[error("the secret must be at most 200 characters without spaces")]
    BadSecret,
    /// The host is this machine, a private network, link-local, unspecified
    /// or multicast (allowed only with `serve --webhook-allow-private`).
    #[error("the address points at this machine or a private network")]
    PrivateAddress,
}

impl From<WebhookError> for crate::Refusal {
    fn from(e: WebhookError) -> crate::Refusal {
        use crate::Key;
        match e {
            WebhookError::BadUrl => Key::WebhookBadUrl,
            WebhookError::LongUrl => Key::WebhookLongUrl,
            WebhookError::BadFormat => Key::WebhookBadFormat,
            WebhookError::BadName => Key::WebhookBadName,
            WebhookError::BadSecret => Key::WebhookBadSecret,
            WebhookError::PrivateAddress => Key::WebhookPrivateAddress,
        }
        .into()
    }
}

/// Who may configure webhooks and read their log: the command at city scope,
/// since a webhook announces every order of the city.
pub fn may_manage(actor: &crate::Actor) -> bool {
    actor.can(crate::Capability::ManageWebhooks) && matches!(actor.scope, crate::Scope::City)
}

/// Checks a receiver's URL: http or https, a host, no spaces, at most 2000 characters.
pub fn check_url(url: &str) -> Result<(), WebhookError> {
    let url = url.trim();
    if url.chars().count() > 2000 {
        return Err(WebhookError::LongUrl);
    }
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")).ok_or(WebhookError::BadUrl)?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_only = host.rsplit('@').next().unwrap_or("");
    if host_only.is_empty() || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(WebhookError::BadUrl);
    }
    // What the sender will make of it: a URL it cannot read is refused now, not at every attempt.
    if url::Url::parse(url).ok().and_then(|u| u.host().map(|_| ())).is_none() {
        return Err(WebhookError::BadUrl);
    }
    Ok(())
}

/// Refuses a receiver URL whose host is not a public address (`private_host`)
/// unless the server allows private receivers (`serve --webhook-allow-private`).
/// A host name is judged by its name only (`localhost`); what it resolves to is
/// checked at every delivery, since DNS can change after the URL is saved.
pub fn check_address(url: &str, allow_private: bool) -> Result<(), WebhookError> {
    match private_host(url) {
        Some(_) if !allow_private => Err(WebhookError::PrivateAddress),
        _ => Ok(()),
    }
}

/// The host of a URL, as the sender will read it, when it is not a public
/// address: an IP literal that is not public unicast (`is_public_ip`; also
/// IPv4-mapped IPv6 and the short or numeric IPv4 forms such as `127.1` or
/// `2130706433`), or `localhost` and names under it (RFC 6761). `None` for a
/// public literal, any other name, or a URL that does not parse.
pub fn private_host(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url.trim()).ok()?;
    match parsed.host()? {
        url::Host::Ipv4(ip) => (!is_public_ip(IpAddr::V4(ip))).then(|| ip.to_string()),
        url::Host::Ipv6(ip) => (!is_public_ip(IpAddr::V6(ip))).then(|| ip.to_string()),
        url::Host::Domain(d) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            (d == "localhost" || d.ends_with(".localhost")).then_some(d)
        }
    }
}

/// The host of a URL when it is an IP literal (as the sender reads it: `127.1`
/// is 127.0.0.1): such a host is never resolved, so a sender checks it itself.
pub fn host_ip(url: &str) -> Option<IpAddr> {
    match url::Url::parse(url.trim()).ok()?.host()? {
        url::Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
        url::Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
        url::Host::Domain(_) => None,
    }
}

/// Whether a webhook may be delivered to this address without
/// `--webhook-allow-private`: public unicast only. Refused: unspecified and
/// "this network" (0/8, ::), loopback, private (10/8, 172.16/12, 192.168/16,
/// fc00::/7, the old site-local fec0::/10), shared carrier NAT (100.64/10),
/// link-local (169.254/16, fe80::/10), benchmarking (198.18/15), multicast,
/// reserved and broadcast (240/4), and IPv4 carried inside IPv6 (mapped,
/// compatible, NAT64 64:ff9b::/96, 6to4 2002::/16) when that IPv4 is refused.
pub fn is_public_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(a == 0
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || a >= 240
        || (a == 100 && (64..128).contains(&b))
        || (a == 198 && (b == 18 || b == 19)))
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    if ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || ip.is_unique_local()
        || ip.is_unicast_link_local()
    {
        return false;
    }
    // fec0::/10, deprecated site-local: still routed inside some networks.
    if s[0] & 0xffc0 == 0xfec0 {
        return false;
    }
    let embedded = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible).
    if s[..5] == [0; 5] && (s[5] == 0xffff || s[5] == 0) {
        return is_public_v4(embedded(s[6], s[7]));
    }
    // NAT64's well-known prefix 64:ff9b::/96.
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return is_public_v4(embedded(s[6], s[7]));
    }
    // 6to4: 2002:a.b.c.d::/48.
    if s[0] == 0x2002 {
        return is_public_v4(embedded(s[1], s[2]));
    }
    true
}

/// Checks a webhook's name: 1 to 100 characters.
pub fn check_name(name: &str) -> Result<(), WebhookError> {
    let n = name.trim().chars().count();
    if n == 0 || n > 100 || name.chars().any(|c| c.is_control()) {
        return Err(WebhookError::BadName);
    }
    Ok(())
}

/// Checks a signing secret: at most 200 characters, no spaces.
pub fn check_secret(secret: &str) -> Result<(), WebhookError> {
    if secret.chars().count() > 200 || secret.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(WebhookError::BadSecret);
    }
    Ok(())
}

/// A URL as pages and the audit log show it: scheme and host, then "…". The
/// path and query of a robot URL carry its access token.
pub fn mask_url(url: &str) -> String {
    let url = url.trim();
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (s, r),
        None => return "…".into(),
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    // user:password@ before the host is a credential too.
    let host = host.rsplit('@').next().unwrap_or("");
    format!("{scheme}://{host}/…")
}

/// One step of an order, or a compound's change of control status, as it is
/// announced: the machine fields of the JSON format, and what the text of the
/// robot formats is made of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Announcement {
    /// `order.<state>`, e.g. `order.acknowledged`; or `control.<status>`, e.g. `control.sealed`.
    pub event: String,
    /// The order's id (none for a change of control status).
    pub order_id: Option<i64>,
    /// The unit asked (empty for a change of control status).
    #[serde(default)]
    pub unit: String,
    /// The compounds, by name.
    pub compounds: Vec<String>,
    /// The state the order reached: issued, acknowledged, assembled, on-site,
    /// stood-down, declined, cancelled; or the control status now: sealed,
    /// controlled, precaution.
    pub state: String,
    /// Who took the step (login name).
    pub actor: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Why it was declined or cancelled, or why the status changed.
    pub reason: Option<String>,
    /// The compound whose control status changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compound_id: Option<i64>,
    /// Its control status before, if it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
}

impl Announcement {
    /// The event key of a state: `order.<state>`.
    pub fn event_of(state: &str) -> String {
        format!("order.{state}")
    }

    /// A compound's change of control status.
    pub fn control(
        compound_id: i64,
        compound: &str,
        from: Option<crate::control::ControlStatus>,
        to: crate::control::ControlStatus,
        actor: &str,
        at: DateTime<Utc>,
        reason: &str,
    ) -> Announcement {
        Announcement {
            event: format!("control.{}", to.as_str()),
            order_id: None,
            unit: String::new(),
            compounds: vec![compound.to_string()],
            state: to.as_str().to_string(),
            actor: actor.to_string(),
            at,
            reason: Some(reason.to_string()),
            compound_id: Some(compound_id),
            from: from.map(|f| f.as_str().to_string()),
        }
    }
}

/// A request ready to send: where, and the JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    /// The URL to POST to (with signature parameters for DingTalk).
    pub url: String,
    /// The JSON body.
    pub body: Value,
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// Percent-encodes everything but the unreserved characters (RFC 3986).
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// DingTalk's signature: base64 of HMAC-SHA256 keyed by the secret over
/// "<timestamp ms>\n<secret>".
pub fn dingtalk_sign(timestamp_ms: i64, secret: &str) -> String {
    BASE64.encode(hmac_sha256(secret.as_bytes(), format!("{timestamp_ms}\n{secret}").as_bytes()))
}

/// Feishu's signature: base64 of HMAC-SHA256 keyed by "<timestamp s>\n<secret>"
/// over nothing.
pub fn feishu_sign(timestamp_s: i64, secret: &str) -> String {
    BASE64.encode(hmac_sha256(format!("{timestamp_s}\n{secret}").as_bytes(), b""))
}

/// The plain JSON format's signature: hex of HMAC-SHA256 keyed by the secret
/// over "<timestamp s>.<body>", sent as `X-Cordon-Signature: t=<s>,v1=<hex>`.
pub fn json_signature(timestamp_s: i64, secret: &str, body: &str) -> String {
    let mac = hmac_sha256(secret.as_bytes(), format!("{timestamp_s}.{body}").as_bytes());
    let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
    format!("t={timestamp_s},v1={hex}")
}

/// The request for one announcement in one format. `text` is the message
/// people read (in the command's language); signatures are made at `now`,
/// because robots refuse signatures older than an hour.
pub fn outgoing(
    format: WebhookFormat,
    url: &str,
    secret: Option<&str>,
    text: &str,
    a: &Announcement,
    now: DateTime<Utc>,
) -> Outgoing {
    let secret = secret.filter(|s| !s.is_empty());
    let url = url.trim().to_string();
    match format {
        WebhookFormat::Wecom => Outgoing { url, body: json!({"msgtype": "text", "text": {"content": text}}) },
        WebhookFormat::Dingtalk => {
            let body = json!({"msgtype": "text", "text": {"content": text}});
            let url = match secret {
                Some(s) => {
                    let ts = now.timestamp_millis();
                    let sep = if url.contains('?') { '&' } else { '?' };
                    format!("{url}{sep}timestamp={ts}&sign={}", percent_encode(&dingtalk_sign(ts, s)))
                }
                None => url,
            };
            Outgoing { url, body }
        }
        WebhookFormat::Feishu => {
            let mut body = json!({"msg_type": "text", "content": {"text": text}});
            if let Some(s) = secret {
                let ts = now.timestamp();
                body["timestamp"] = json!(ts.to_string());
                body["sign"] = json!(feishu_sign(ts, s));
            }
            Outgoing { url, body }
        }
        WebhookFormat::Json => Outgoing {
            url,
            body: json!({
                "event": a.event,
                "order_id": a.order_id,
                "compound_id": a.compound_id,
                "from": a.from,
                "unit": a.unit,
                "compounds": a.compounds,
                "state": a.state,
                "actor": a.actor,
                "at": a.at,
                "reason": a.reason,
                "text": text,
            }),
        },
    }
}

/// A robot answers HTTP 200 even when it refuses a message (bad signature, a
/// missing keyword, rate limit); its body says so. The refusal, if any.
pub fn robot_refusal(format: WebhookFormat, body: &str) -> Option<String> {
    if format == WebhookFormat::Json {
        return None;
    }
    let v: Value = serde_json::from_str(body).ok()?;
    let code = v.get("errcode").or_else(|| v.get("code")).or_else(|| v.get("StatusCode"))?;
    let code = code.as_i64()?;
    if code == 0 {
        return None;
    }
    let msg = v.get("errmsg").or_else(|| v.get("msg")).and_then(Value::as_str).unwrap_or("");
    Some(format!("robot refused: {code} {msg}").trim().to_string())
}

/// How long to wait before attempt `failures + 1`: `base` after the first
/// failure, doubling each time, never more than `cap`.
pub fn backoff(failures: u32, base: Duration, cap: Duration) -> Duration {
    let exp = failures.saturating_sub(1).min(30);
    base.checked_mul(1u32 << exp).unwrap_or(cap).min(cap)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Announcement {
        Announcement {
            event: Announcement::event_of("acknowledged"),
            order_id: Some(12),
            unit: "市林草局".into(),
            compounds: vec!["中和胡同小区".into()],
            state: "acknowledged".into(),
            actor: "demo-unit".into(),
            at: "2022-12-01T12:15:00Z".parse().unwrap(),
            reason: None,
            compound_id: None,
            from: None,
        }
    }

    fn now() -> DateTime<Utc> {
        "2022-12-01T12:15:30Z".parse().unwrap()
    }

    const TEXT: &str = "调度令 #12 市林草局 → 中和胡同小区：已收到（demo-unit，12月1日 20:15）";

    #[test]
    fn wecom_sends_a_text_message_to_the_url_as_given() {
        let o = outgoing(
            WebhookFormat::Wecom,
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k",
            None,
            TEXT,
            &sample(),
            now(),
        );
        assert_eq!(o.url, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k");
        assert_eq!(o.body, json!({"msgtype": "text", "text": {"content": TEXT}}));
    }

    #[test]
    fn dingtalk_without_a_secret_is_an_unsigned_text_message() {
        let url = "https://oapi.dingtalk.com/robot/send?access_token=t";
        let o = outgoing(WebhookFormat::Dingtalk, url, None, TEXT, &sample(), now());
        assert_eq!(o.url, url);
        assert_eq!(o.body, json!({"msgtype": "text", "text": {"content": TEXT}}));
    }

    #[test]
    fn dingtalk_with_a_secret_signs_the_url_with_milliseconds_and_an_encoded_sign() {
        let url = "https://oapi.dingtalk.com/robot/send?access_token=t";
        let o = outgoing(WebhookFormat::Dingtalk, url, Some("SECabc"), TEXT, &sample(), now());
        let ts = now().timestamp_millis();
        let sign = dingtalk_sign(ts, "SECabc");
        assert_eq!(o.url, format!("{url}&timestamp={ts}&sign={}", percent_encode(&sign)));
        assert!(!o.url.contains('+') && !o.url.ends_with('='), "the sign is URL-encoded: {}", o.url);
        assert_eq!(BASE64.decode(&sign).unwrap().len(), 32);
        assert_eq!(o.body["msgtype"], "text");
    }

    #[test]
    fn signatures_match_a_known_hmac_sha256() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        // Feishu keys the HMAC with "timestamp\nsecret" and signs nothing.
        assert_eq!(feishu_sign(1599360473, "s"), BASE64.encode(hmac_sha256(b"1599360473\ns", b"")));
        assert_eq!(dingtalk_sign(1, "s"), BASE64.encode(hmac_sha256(b"s", b"1\ns")));
    }

    #[test]
    fn feishu_puts_text_in_content_and_the_signature_in_the_body() {
        let url = "https://open.feishu.cn/open-apis/bot/v2/hook/x";
        let plain = outgoing(WebhookFormat::Feishu, url, None, TEXT, &sample(), now());
        assert_eq!(plain.body, json!({"msg_type": "text", "content": {"text": TEXT}}));
        let signed = outgoing(WebhookFormat::Feishu, url, Some("sec"), TEXT, &sample(), now());
        let ts = now().timestamp();
        assert_eq!(signed.url, url);
        assert_eq!(signed.body["timestamp"], json!(ts.to_string()));
        assert_eq!(signed.body["sign"], json!(feishu_sign(ts, "sec")));
        assert_eq!(signed.body["content"]["text"], TEXT);
    }

    #[test]
    fn plain_json_carries_the_machine_fields() {
        let mut a = sample();
        a.state = "declined".into();
        a.event = Announcement::event_of("declined");
        a.reason = Some("人手不足".into());
        let o = outgoing(WebhookFormat::Json, "http://127.0.0.1:9/hook", None, TEXT, &a, now());
        assert_eq!(o.body["event"], "order.declined");
        assert_eq!(o.body["order_id"], 12);
        assert_eq!(o.body["unit"], "市林草局");
        assert_eq!(o.body["compounds"], json!(["中和胡同小区"]));
        assert_eq!(o.body["state"], "declined");
        assert_eq!(o.body["actor"], "demo-unit");
        assert_eq!(o.body["at"], "2022-12-01T12:15:00Z");
        assert_eq!(o.body["reason"], "人手不足");
        assert_eq!(o.body["text"], TEXT);
    }

    #[test]
    fn formats_read_back_and_unknown_ones_are_refused() {
        for f in WebhookFormat::ALL {
            assert_eq!(WebhookFormat::parse(f.as_str()), Some(f));
        }
        assert_eq!(WebhookFormat::parse("slack"), None);
    }

    #[test]
    fn only_http_urls_with_a_host_are_accepted() {
        assert!(check_url("https://oapi.dingtalk.com/robot/send?access_token=x").is_ok());
        assert!(check_url("http://127.0.0.1:8080/hook").is_ok());
        for bad in
            ["", "ftp://x/y", "https://", "https:///path", "javascript:alert(1)", "https://a b/c", "oapi.dingtalk.com"]
        {
            assert_eq!(check_url(bad), Err(WebhookError::BadUrl), "{bad}");
        }
        assert_eq!(check_url(&format!("https://x/{}", "a".repeat(2000))), Err(WebhookError::LongUrl));
    }

    #[test]
    fn urls_to_this_machine_or_private_networks_are_refused_unless_allowed() {
        for bad in [
            "http://127.0.0.1:8080/hook",
            "http://127.1/hook",
            "http://2130706433/hook",
            "http://0x7f.0.0.1/hook",
            "http://0.0.0.0/",
            "http://10.1.2.3/",
            "http://172.16.0.1/",
            "http://192.168.1.1/",
            "http://100.64.0.1/",
            "http://169.254.169.254/latest/meta-data",
            "http://224.0.0.1/",
            "http://255.255.255.255/",
            "http://[::1]:8080/",
            "http://[::]/",
            "http://[fe80::1]/",
            "http://[fd00::1]/",
            "http://[fec0::1]/",
            "http://[ff02::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:10.0.0.1]/",
            "http://[64:ff9b::a9fe:a9fe]/",
            "http://[2002:c0a8:101::1]/",
            "http://localhost:8080/hook",
            "http://LOCALHOST./hook",
            "http://api.localhost/hook",
            "http://user:pw@127.0.0.1/hook",
        ] {
            assert!(private_host(bad).is_some(), "{bad}");
            assert_eq!(check_address(bad, false), Err(WebhookError::PrivateAddress), "{bad}");
            assert_eq!(check_address(bad, true), Ok(()), "{bad} with --webhook-allow-private");
        }
        for good in [
            "https://oapi.dingtalk.com/robot/send?access_token=x",
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k",
            "http://8.8.8.8/hook",
            "http://[2001:4860:4860::8888]/hook",
            "http://[::ffff:8.8.8.8]/hook",
            "http://localhost.example.org/hook",
        ] {
            assert_eq!(private_host(good), None, "{good}");
            assert_eq!(check_address(good, false), Ok(()), "{good}");
        }
    }

    #[test]
    fn masked_urls_keep_only_scheme_and_host() {
        assert_eq!(mask_url("https://oapi.dingtalk.com/robot/send?access_token=secret"), "https://oapi.dingtalk.com/…");
        assert_eq!(mask_url("http://user:pw@example.org:81/x"), "http://example.org:81/…");
        assert_eq!(mask_url("garbage"), "…");
    }

    #[test]
    fn robots_that_answer_200_with_an_error_code_are_refusals() {
        assert_eq!(robot_refusal(WebhookFormat::Dingtalk, r#"{"errcode":0,"errmsg":"ok"}"#), None);
        assert_eq!(
            robot_refusal(WebhookFormat::Dingtalk, r#"{"errcode":310000,"errmsg":"sign not match"}"#).as_deref(),
            Some("robot refused: 310000 sign not match")
        );
        assert!(robot_refusal(WebhookFormat::Feishu, r#"{"code":19021,"msg":"sign match fail"}"#).is_some());
        assert_eq!(robot_refusal(WebhookFormat::Feishu, r#"{"code":0,"msg":"success","data":{}}"#), None);
        assert_eq!(robot_refusal(WebhookFormat::Wecom, "not json"), None);
        assert_eq!(robot_refusal(WebhookFormat::Json, r#"{"errcode":1}"#), None);
    }

    #[test]
    fn backoff_doubles_from_the_base_up_to_the_cap() {
        let (base, cap) = (Duration::from_secs(2), Duration::from_secs(600));
        assert_eq!(backoff(1, base, cap), Duration::from_secs(2));
        assert_eq!(backoff(2, base, cap), Duration::from_secs(4));
        assert_eq!(backoff(5, base, cap), Duration::from_secs(32));
        assert_eq!(backoff(9, base, cap), Duration::from_secs(512));
        assert_eq!(backoff(10, base, cap), cap);
        assert_eq!(backoff(u32::MAX, base, cap), cap);
    }
}
