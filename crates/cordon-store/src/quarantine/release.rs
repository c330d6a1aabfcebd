//! Release: certificates signed with the site's key, their public
//! verification, and the hand-over to the destination. A certificate is
//! issued once a person (on or after the last on-site day, never positive,
//! never transferred) and kept with the code its QR carries, so printing it
//! again gives the same paper. The site's Ed25519 key is made on the site's
//! first certificate and kept by the server; only its public half is used to
//! verify. Every write takes the site's lock first: two people issuing a
//! batch's certificates at once make one key and one certificate a person.

use chrono::NaiveDate;
use cordon_domain::quarantine::manifest::Passport;
use cordon_domain::quarantine::release::{
    self, CertificateError, CertificateText, Handover, ReleaseFacts, may_release,
};
use cordon_domain::quarantine::site::Sight;
use cordon_domain::quarantine::timeline::Timeline;
use cordon_domain::{Actor, Key, Refusal};
use serde::Serialize;

use super::Batch;
use super::timeline::ExtensionRow;
use crate::{Store, StoreError, StoreResult};

/// A certificate to print: what it states, the code its QR carries, and the
/// language of the person it is for.
#[derive(Debug, Clone, Serialize)]
pub struct Certificate {
    /// What it states (also inside the code).
    pub text: CertificateText,
    /// `<text>.<signature>`, for the QR's verification link.
    pub code: String,
    /// The person's language, which the certificate speaks beside Chinese.
    pub language: String,
}

/// What issuing a batch's certificates did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Issued {
    /// Certificates made now.
    pub issued: usize,
    /// People who had one already.
    pub already: usize,
    /// People not released, each with the reason (too early, positive, never checked in).
    pub refused: Vec<(String, Refusal)>,
}

/// Whom a release is for: by passport (the command line, the API) or by the
/// person's id (a page's form, whose passports are masked).
#[derive(Debug, Clone, Copy)]
pub enum Who<'a> {
    /// The passport on the batch's manifest.
    Passport(&'a str),
    /// The person's id.
    Id(i64),
}

impl Who<'_> {
    /// The binds of `(passport = $n OR id = $m)`: the passport as the
    /// manifest keeps it, or the id; the other never matches (no passport is
    /// empty, no id is 0). A passport that is none is refused here.
    pub(super) fn binds(&self) -> StoreResult<(String, i64)> {
        match self {
            Who::Passport(p) => {
                let parsed = Passport::parse(p)
                    .map_err(|_| StoreError::invalid(Key::QuarantinePassportUnknown.with("passport", p.trim())))?;
                Ok((parsed.as_str().to_string(), 0))
            }
            Who::Id(id) => Ok((String::new(), *id)),
        }
    }

    /// Who was not found, said as a refusal when it was a passport.
    pub(super) fn not_found(&self) -> StoreError {
        match self {
            Who::Passport(p) => StoreError::invalid(
                Key::QuarantinePassportUnknown
                    .with("passport", Passport::parse(p).map(|p| p.masked()).unwrap_or_default()),
            ),
            Who::Id(_) => StoreError::NotFound,
        }
    }
}

/// What a release did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Released {
    /// False when the person was released already (the same hand-over twice changes nothing).
    pub written: bool,
    /// The certificate's number.
    pub number: String,
}

#[derive(sqlx::FromRow)]
struct ReleaseRow {
    id: i64,
    name: String,
    name_latin: String,
    passport: String,
    checked_in: bool,
    transferred: i64,
    positive: i64,
    code: Option<String>,
}

impl ReleaseRow {
    fn facts(&self) -> ReleaseFacts {
        ReleaseFacts { checked_in: self.checked_in, transferred: self.transferred > 0, positive: self.positive > 0 }
    }

    fn masked_passport(&self) -> String {
        Passport::parse(&self.passport)
            .map(|p| p.masked())
            .unwrap_or_else(|_| "*".repeat(self.passport.chars().count()))
    }
}

/// The people of a batch (or one of them) as release needs them, read in the
/// transaction that holds the site's lock.
const RELEASE_ROWS: &str = "SELECT q.id, q.name, q.name_latin, q.passport, \
     q.checked_in_at IS NOT NULL AS checked_in, \
     (SELECT COUNT(*) FROM transfers t WHERE t.person_id = q.id AND t.state <> 'cancelled') AS transferred, \
     (SELECT COUNT(*) FROM stay_results r WHERE r.person_id = q.id AND r.result = 'positive') AS positive, \
     c.code FROM quarantined q LEFT JOIN release_certificates c ON c.person_id = q.id \
     WHERE q.batch_id = $1 AND q.site_id = $2";

/// The key a server fault, not the caller's: a key row that does not parse.
fn key_fault(e: CertificateError) -> StoreError {
    StoreError::Database(sqlx::Error::Protocol(format!("site key: {e}")))
}

/// A new Ed25519 key: its PKCS#8 document and its public half.
fn new_key() -> StoreResult<(Vec<u8>, Vec<u8>)> {
    use ring::signature::{Ed25519KeyPair, KeyPair};
    let rng = ring::rand::SystemRandom::new();
    let doc = Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| key_fault(CertificateError::Key))?;
    let pair = Ed25519KeyPair::from_pkcs8(doc.as_ref()).map_err(|_| key_fault(CertificateError::Key))?;
    Ok((doc.as_ref().to_vec(), pair.public_key().as_ref().to_vec()))
}

#[derive(sqlx::FromRow)]
struct CertificateRow {
    code: String,
    language: String,
}

impl Store {
    /// Issues the certificate of everyone in the batch who may be released
    /// today and has none yet; the others are counted, with their reasons.
    pub async fn issue_certificates(&self, actor: &Actor, batch: &Batch) -> StoreResult<Issued> {
        let (_, issued) = self.issue(actor, batch, None).await?;
        Ok(issued)
    }

    /// Releases one person: issues their certificate if they have none,
    /// records who received them and how they travel on, and takes them out
    /// of their room. Refused with the reason when they may not be released
    /// yet; the same release again changes nothing.
    pub async fn release(
        &self,
        actor: &Actor,
        batch: &Batch,
        who: Who<'_>,
        handover: &Handover,
    ) -> StoreResult<Released> {
        who.binds()?;
        let (released, _) = self.issue(actor, batch, Some((who, handover))).await?;
        released.ok_or(StoreError::NotFound)
    }

    /// Issues the batch's certificates (or one person's, and releases them)
    /// under the site's lock.
    async fn issue(
        &self,
        actor: &Actor,
        batch: &Batch,
        release: Option<(Who<'_>, &Handover)>,
    ) -> StoreResult<(Option<Released>, Issued)> {
        self.site_role_that(actor, batch.site_id, |r| r.releases()).await?;
        let site = self.site(actor, batch.site_id).await?;
        let policy = self.policy(&batch.policy).await?;
        let base = Timeline::new(batch.arrived_at, site.zone, &policy);
        let now = self.now();
        let today = site.zone.date_of(now);
        let done = on_pool!(self, |p| {
            let mut tx = crate::db::WritePool::begin_write(p).await?;
            if !lock_site!(tx, p, batch.site_id).await?.takes_records() {
                return Err(StoreError::invalid(Key::QuarantineSiteClosed));
            }
            let one = match &release {
                Some((who, _)) => Some(who.binds()?),
                None => None,
            };
            let sql = match one {
                Some(_) => format!("{RELEASE_ROWS} AND (q.passport = $3 OR q.id = $4) ORDER BY q.id"),
                None => format!("{RELEASE_ROWS} ORDER BY q.id"),
            };
            let query = sqlx::query_as::<_, ReleaseRow>(sqlx::AssertSqlSafe(sql)).bind(batch.id).bind(batch.site_id);
            let query = match one {
                Some((passport, id)) => query.bind(passport).bind(id),
                None => query,
            };
            let rows: Vec<ReleaseRow> = query.fetch_all(&mut *tx).await?;
            let extensions: Vec<ExtensionRow> = sqlx::query_as(
                "SELECT e.person_id, e.days, e.reason FROM stay_extensions e \
                 JOIN quarantined q ON q.id = e.person_id WHERE q.batch_id = $1 AND q.site_id = $2 ORDER BY e.id",
            )
            .bind(batch.id)
            .bind(batch.site_id)
            .fetch_all(&mut *tx)
            .await?;
            let stored: Option<String> = sqlx::query_scalar("SELECT pkcs8 FROM site_keys WHERE site_id = $1")
                .bind(batch.site_id)
                .fetch_optional(&mut *tx)
                .await?;
            let pkcs8 = match stored {
                Some(hex) => hex::decode(hex).map_err(|_| key_fault(CertificateError::Key))?,
                None => {
                    let (pkcs8, public) = new_key()?;
                    sqlx::query(
                        "INSERT INTO site_keys (site_id, pkcs8, public_key, created_at) VALUES ($1, $2, $3, $4)",
                    )
                    .bind(batch.site_id)
                    .bind(hex::encode(&pkcs8))
                    .bind(hex::encode(public))
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    pkcs8
                }
            };
            let mut issued = Issued::default();
            for row in &rows {
                let timeline = extensions.iter().filter(|e| e.person_id == row.id).try_fold(base.clone(), |t, e| {
                    let (days, reason) = e.extension();
                    t.extended(days, reason).map_err(StoreError::invalid)
                })?;
                // The rule is asked even of someone certified already: a
                // certificate never stands in for it (a release of someone
                // positive since is refused, whatever paper exists).
                if let Err(refusal) = may_release(&timeline, today, row.facts()) {
                    issued.refused.push((row.name.clone(), refusal));
                    continue;
                }
                if row.code.is_some() {
                    issued.already += 1;
                    continue;
                }
                let text = CertificateText::new(
                    batch.site_id,
                    &site.name,
                    row.id,
                    &row.name,
                    &row.name_latin,
                    &row.masked_passport(),
                    &timeline,
                    today,
                );
                let code = text.seal(&pkcs8).map_err(key_fault)?;
                sqlx::query(
                    "INSERT INTO release_certificates (person_id, site_id, number, onsite_end, code, issued_at, actor) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(row.id)
                .bind(batch.site_id)
                .bind(text.number.clone())
                .bind(text.onsite_end)
                .bind(code.clone())
                .bind(now)
                .bind(actor.username.clone())
                .execute(&mut *tx)
                .await?;
                audit_insert!(
                    &mut *tx,
                    crate::audit::NewEntry::new(now, actor, "issue", "release-certificate", row.id.to_string())
                        .after(serde_json::json!({"number": text.number, "onsite_end": text.onsite_end}).to_string())
                )?;
                issued.issued += 1;
            }
            let mut released = None;
            if let Some((who, handover)) = &release {
                let row = rows.first().ok_or_else(|| who.not_found())?;
                if let Some((_, refusal)) = issued.refused.first() {
                    return Err(StoreError::invalid(refusal.clone()));
                }
                let number = release::number(batch.site_id, row.id);
                let written = sqlx::query(
                    "INSERT INTO releases (person_id, site_id, released_at, received_by, transport, actor) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (person_id) DO NOTHING",
                )
                .bind(row.id)
                .bind(batch.site_id)
                .bind(now)
                .bind(handover.received_by().to_string())
                .bind(handover.transport().to_string())
                .bind(actor.username.clone())
                .execute(&mut *tx)
                .await?
                .rows_affected()
                    == 1;
                if written {
                    leave_room!(tx, row.id).await?;
                    audit_insert!(
                        &mut *tx,
                        crate::audit::NewEntry::new(now, actor, "release", "quarantined", row.id.to_string()).after(
                            serde_json::json!({
                                "number": number,
                                "received_by": handover.received_by(),
                                "transport": handover.transport(),
                            })
                            .to_string()
                        )
                    )?;
                }
                released = Some(Released { written, number });
            }
            tx.commit().await?;
            (released, issued)
        });
        Ok(done)
    }

    /// The issued certificates of a batch, or of the site's people whose last
    /// on-site day is `on`, by number, to print one A4 page each.
    pub async fn certificates(
        &self,
        actor: &Actor,
        site_id: i64,
        batch: Option<&Batch>,
        on: Option<NaiveDate>,
    ) -> StoreResult<Vec<Certificate>> {
        self.site_role_that(actor, site_id, |r| r.may_see(Sight::Releases)).await?;
        let batch_id = batch.map(|b| b.id);
        let rows: Vec<CertificateRow> = on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT c.code, q.language FROM release_certificates c JOIN quarantined q ON q.id = c.person_id \
                 WHERE c.site_id = $1 AND ($2 IS NULL OR q.batch_id = $2) AND ($3 IS NULL OR c.onsite_end = $3) \
                 ORDER BY c.number",
            )
            .bind(site_id)
            .bind(batch_id)
            .bind(on)
            .fetch_all(p)
            .await?
        });
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        // A site with certificates has its key: without one, none is printed.
        let public = self.site_public_key(site_id).await?.ok_or(StoreError::NotFound)?;
        let site = self.site_name(site_id).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            // The stored code is checked like any other: a certificate that
            // does not verify is never printed.
            let mut text = release::verify(&row.code, &public).map_err(key_fault)?;
            text.site = site.clone();
            out.push(Certificate { text, code: row.code, language: row.language });
        }
        Ok(out)
    }

    async fn site_public_key(&self, site_id: i64) -> StoreResult<Option<Vec<u8>>> {
        let hex: Option<String> = on_pool!(self, |p| {
            sqlx::query_scalar("SELECT public_key FROM site_keys WHERE site_id = $1")
                .bind(site_id)
                .fetch_optional(p)
                .await?
        });
        hex.map(|h| hex::decode(h).map_err(|_| key_fault(CertificateError::Key))).transpose()
    }

    /// The public verification of a certificate's code, for anyone holding
    /// the paper: what it states when its signature matches the site's key
    /// and the site issued it; `None` when it was altered or made up.
    pub async fn verify_certificate(&self, code: &str) -> StoreResult<Option<CertificateText>> {
        let Ok(site_id) = release::claimed_site(code) else {
            return Ok(None);
        };
        let Some(public) = self.site_public_key(site_id).await? else {
            return Ok(None);
        };
        let mut text = match release::verify(code, &public) {
            Ok(text) => text,
            Err(CertificateError::Key) => return Err(key_fault(CertificateError::Key)),
            Err(_) => return Ok(None),
        };
        let issued: Option<i64> = on_pool!(self, |p| {
            sqlx::query_scalar("SELECT person_id FROM release_certificates WHERE number = $1 AND code = $2")
                .bind(text.number.clone())
                .bind(code.to_string())
                .fetch_optional(p)
                .await?
        });
        if issued.is_none() {
            return Ok(None);
        }
        text.site = self.site_name(site_id).await?;
        Ok(Some(text))
    }

    /// A site's name by id, for the certificates that carry only the id.
    async fn site_name(&self, site_id: i64) -> StoreResult<String> {
        let name: Option<String> = on_pool!(self, |p| {
            sqlx::query_scalar("SELECT name FROM sites WHERE id = $1").bind(site_id).fetch_optional(p).await?
        });
        name.ok_or(StoreError::NotFound)
    }

    /// The released people of a site, by id, for the site's lists.
    pub(super) async fn released(&self, site_id: i64) -> StoreResult<std::collections::HashSet<i64>> {
        let ids: Vec<i64> = on_pool!(self, |p| {
            sqlx::query_scalar("SELECT person_id FROM releases WHERE site_id = $1").bind(site_id).fetch_all(p).await?
        });
        Ok(ids.into_iter().collect())
    }
}
