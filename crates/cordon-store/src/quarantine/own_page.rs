//! A person's own page and the room cards that open it: each person checked
//! in has a secret token; the card of their room carries it as a QR code, and
//! the page it opens shows that person's stay and nothing else: no passport,
//! no phone, nobody else's name.

use chrono::NaiveDate;
use cordon_domain::quarantine::timeline::{TestDay, Timeline, TimelineState};
use serde::Serialize;

use crate::{Store, StoreError, StoreResult};

/// What a person reads on their own page.
#[derive(Debug, Clone, Serialize)]
pub struct OwnStay {
    /// Their name in its own script.
    pub name: String,
    /// In Latin letters.
    pub name_latin: String,
    /// Their language (ISO 639-1), which the page speaks if it can.
    pub language: String,
    /// The site.
    pub site: String,
    /// Their room.
    pub room: Option<String>,
    /// Day 0, the local date of arrival.
    pub arrival_date: NaiveDate,
    /// The last on-site day: released the day after.
    pub onsite_end: NaiveDate,
    /// The last day of home monitoring.
    pub home_end: NaiveDate,
    /// Where the stay stands now, with the day number.
    pub state: TimelineState,
    /// The next test (today's included).
    pub next_test: Option<TestDay>,
    /// Their birthday, if it falls in the on-site phase.
    pub birthday_in_stay: Option<NaiveDate>,
    /// Today in the site's zone.
    pub today: NaiveDate,
}

/// One occupied room's card: its number and a QR code per person in it.
#[derive(Debug, Clone, Serialize)]
pub struct RoomCard {
    /// The room.
    pub number: String,
    /// The floor.
    pub floor: i64,
    /// Who is in it, each with the token of their own page.
    pub people: Vec<CardPerson>,
}

/// A person on a room card.
#[derive(Debug, Clone, Serialize)]
pub struct CardPerson {
    /// The name in its own script.
    pub name: String,
    /// In Latin letters.
    pub name_latin: String,
    /// Their language.
    pub language: String,
    /// The secret of their own page.
    pub token: String,
}

/// The person behind a page token.
pub(super) struct TokenPerson {
    pub person_id: i64,
    pub site_id: i64,
    pub zone: cordon_domain::clock::Zone,
    /// Who the audit log names for what the person sends.
    pub actor: cordon_domain::Actor,
}

/// A token as it was handed out (32 hex digits), else `NotFound`: anything
/// else is not looked up.
fn token_shaped(token: &str) -> StoreResult<String> {
    let token = crate::clean(token);
    if token.len() == 32 && token.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(token)
    } else {
        Err(StoreError::NotFound)
    }
}

#[derive(sqlx::FromRow)]
struct OwnRow {
    name: String,
    name_latin: String,
    language: String,
    birth_date: NaiveDate,
    room: String,
    policy: String,
    arrived_at: chrono::DateTime<chrono::Utc>,
    site: String,
    zone: String,
    person_id: i64,
}

#[derive(sqlx::FromRow)]
struct CardRow {
    number: String,
    floor: i64,
    name: String,
    name_latin: String,
    language: String,
    page_token: String,
}

impl Store {
    /// The stay a page token opens, for anyone holding the token, while the
    /// person is in a room: the card stays on the door when they leave (for
    /// hospital or home), and the next person in the room must not read it.
    /// A token that opens nothing is `NotFound`, told apart from nothing else.
    pub async fn own_stay(&self, token: &str) -> StoreResult<OwnStay> {
        let token = token_shaped(token)?;
        let row: Option<OwnRow> = on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT q.id AS person_id, q.name, q.name_latin, q.language, q.birth_date, r.number AS room, \
                 b.policy, b.arrived_at, s.name AS site, s.zone \
                 FROM quarantined q JOIN arrival_batches b ON b.id = q.batch_id JOIN sites s ON s.id = q.site_id \
                 JOIN site_rooms r ON r.id = q.room_id WHERE q.page_token = $1",
            )
            .bind(token.clone())
            .fetch_optional(p)
            .await?
        });
        let row = row.ok_or(StoreError::NotFound)?;
        let zone = cordon_domain::clock::Zone::parse(&row.zone).unwrap_or_default();
        let policy = self.policy(&row.policy).await?;
        let mut timeline = Timeline::new(row.arrived_at, zone, &policy);
        for (days, reason) in self.extensions_of(row.person_id).await? {
            timeline = timeline.extended(days, reason).map_err(StoreError::invalid)?;
        }
        let now = self.now();
        Ok(OwnStay {
            name: row.name,
            name_latin: row.name_latin,
            language: row.language,
            site: row.site,
            room: Some(row.room),
            arrival_date: timeline.arrival_date(),
            onsite_end: timeline.onsite_end(),
            home_end: timeline.home_end(),
            state: timeline.state_at(now),
            next_test: timeline.next_test(now),
            birthday_in_stay: timeline.birthday_in_stay(row.birth_date),
            today: zone.date_of(now),
        })
    }

    /// Who a page token opens, while they are in a room (as `own_stay`):
    /// the person, their site and its zone, for what they send from the page.
    pub(super) async fn token_person(&self, token: &str) -> StoreResult<TokenPerson> {
        let token = token_shaped(token)?;
        let row: Option<(i64, i64, String)> = on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT q.id, q.site_id, s.zone FROM quarantined q JOIN sites s ON s.id = q.site_id \
                 WHERE q.page_token = $1 AND q.room_id IS NOT NULL",
            )
            .bind(token.clone())
            .fetch_optional(p)
            .await?
        });
        let (person_id, site_id, zone) = row.ok_or(StoreError::NotFound)?;
        let zone = cordon_domain::clock::Zone::parse(&zone).unwrap_or_default();
        // What a person sends is logged under a name of its own: no account sent it.
        let actor = cordon_domain::Actor {
            user_id: 0,
            username: format!("stay-page:{person_id}"),
            role: cordon_domain::Role::SiteGroup,
            scope: cordon_domain::Scope::Site { id: site_id },
            scope_label: String::new(),
            cadre_id: None,
        };
        Ok(TokenPerson { person_id, site_id, zone, actor })
    }

    /// The cards of a site's occupied rooms, by floor and number, for the
    /// roles that keep the roll: a card's QR opens a person's dates, which
    /// not every group that sees rooms may read.
    pub async fn room_cards(&self, actor: &cordon_domain::Actor, site_id: i64) -> StoreResult<Vec<RoomCard>> {
        self.site_role_that(actor, site_id, |r| r.prints_cards()).await?;
        let rows: Vec<CardRow> = on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT r.number, r.floor, q.name, q.name_latin, q.language, q.page_token \
                 FROM quarantined q JOIN site_rooms r ON r.id = q.room_id \
                 WHERE q.site_id = $1 AND q.page_token IS NOT NULL ORDER BY r.floor, r.number, q.id",
            )
            .bind(site_id)
            .fetch_all(p)
            .await?
        });
        let mut cards: Vec<RoomCard> = Vec::new();
        for r in rows {
            let person =
                CardPerson { name: r.name, name_latin: r.name_latin, language: r.language, token: r.page_token };
            match cards.last_mut() {
                Some(card) if card.number == r.number => card.people.push(person),
                _ => cards.push(RoomCard { number: r.number, floor: r.floor, people: vec![person] }),
            }
        }
        Ok(cards)
    }
}
