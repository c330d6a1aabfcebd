//! Notice boards (公示板): for a checkpoint, the squads posted at its compound
//! with every member's name, position and phone, leader first. Phones are in
//! full by design: the board exists to publish them. The compound's public
//! page, reached from the board's QR code, lists the same contacts.

use cordon_domain::squads::can_form_branch;
use cordon_domain::{Actor, Capability};
use serde::Serialize;

use crate::{Store, StoreError, StoreResult};

/// A member as a board prints them.
#[derive(Debug, Clone, Serialize)]
pub struct BoardMember {
    /// Name.
    pub name: String,
    /// Position.
    pub position: String,
    /// leader, secretary or member.
    pub role: String,
    /// Phone, in full.
    pub phone: String,
    /// Formal party member.
    pub party_member: bool,
}

/// A squad as a board prints it.
#[derive(Debug, Clone, Serialize)]
pub struct BoardSquad {
    /// The unit's name.
    pub unit: String,
    /// The squad's name.
    pub name: String,
    /// Whether it forms its own temporary party branch.
    pub branch_can_form: bool,
    /// Members, leader first.
    pub members: Vec<BoardMember>,
}

/// Everything one board shows.
#[derive(Debug, Clone, Serialize)]
pub struct Board {
    /// The compound.
    pub compound: String,
    /// The compound's id.
    pub compound_id: i64,
    /// Its street.
    pub street: String,
    /// Its community.
    pub community: String,
    /// The checkpoint the board hangs at (none for the public page).
    pub checkpoint: Option<String>,
    /// The squads posted there now.
    pub squads: Vec<BoardSquad>,
    /// The token of the compound's public page.
    pub token: String,
}

/// A member of a squad posted at the compound: squad id, name, position, role, phone, party member.
type MemberRow = (i64, String, String, String, String, bool);

impl Store {
    async fn board_for(&self, compound_id: i64, checkpoint: Option<String>) -> StoreResult<Board> {
        let (compound, community, street): (String, String, String) = on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT p.name, c.name, s.name FROM places p JOIN places c ON c.id = p.parent_id \
                 JOIN places s ON s.id = c.parent_id WHERE p.id = $1",
            )
            .bind(compound_id)
            .fetch_one(p)
            .await?
        });
        // The squads posted there now and all their members, in two queries.
        let (squads, members): (Vec<(i64, String, String)>, Vec<MemberRow>) = on_pool!(self, |p| {
            let squads = sqlx::query_as(
                "SELECT s.id, s.name, u.name FROM squad_postings sp JOIN squads s ON s.id = sp.squad_id \
                     JOIN units u ON u.id = s.unit_id WHERE sp.compound_id = $1 AND s.ended_at IS NULL ORDER BY s.id",
            )
            .bind(compound_id)
            .fetch_all(p)
            .await?;
            let members = sqlx::query_as(
                "SELECT m.squad_id, c.name, c.position, m.role, c.phone, c.party_member FROM squad_postings sp \
                     JOIN squads s ON s.id = sp.squad_id JOIN squad_members m ON m.squad_id = s.id \
                     JOIN cadres c ON c.id = m.cadre_id WHERE sp.compound_id = $1 AND s.ended_at IS NULL \
                     ORDER BY m.squad_id, CASE m.role WHEN 'leader' THEN 0 WHEN 'secretary' THEN 1 ELSE 2 END, c.id",
            )
            .bind(compound_id)
            .fetch_all(p)
            .await?;
            (squads, members)
        });
        let out = squads
            .into_iter()
            .map(|(id, name, unit)| {
                let members: Vec<BoardMember> = members
                    .iter()
                    .filter(|m| m.0 == id)
                    .map(|(_, name, position, role, phone, party_member)| BoardMember {
                        name: name.clone(),
                        position: position.clone(),
                        role: role.clone(),
                        phone: phone.clone(),
                        party_member: *party_member,
                    })
                    .collect();
                BoardSquad {
                    unit,
                    name,
                    branch_can_form: can_form_branch(members.iter().map(|m| m.party_member)),
                    members,
                }
            })
            .collect();
        let token = self.compound_token(compound_id).await?;
        Ok(Board { compound, compound_id, street, community, checkpoint, squads: out, token })
    }

    /// The board of a checkpoint whose compound lies in the actor's scope.
    pub async fn board(&self, actor: &Actor, checkpoint_id: i64) -> StoreResult<Board> {
        if !actor.can(Capability::ViewSquads) {
            return Err(StoreError::Forbidden);
        }
        // In scope: the compound lies in the actor's place scope, or (for a
        // unit's coordinator) the unit has a squad posted there now.
        let (a, b) = crate::places::scope_binds(actor);
        let unit = match actor.scope.unit_filter() {
            Some(Some(unit)) => Some(unit),
            _ => None,
        };
        let row: Option<(i64, String)> = on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT k.compound_id, k.name FROM checkpoints k JOIN places p ON p.id = k.compound_id WHERE k.id = $1 \
                 AND (($2 IS NULL OR (p.path >= $2 AND p.path < $3)) OR EXISTS (SELECT 1 FROM squad_postings sp \
                 JOIN squads s ON s.id = sp.squad_id WHERE sp.compound_id = k.compound_id AND s.unit_id = $4 \
                 AND s.ended_at IS NULL))",
            )
            .bind(checkpoint_id)
            .bind(a)
            .bind(b)
            .bind(unit)
            .fetch_optional(p)
            .await?
        });
        let (compound_id, checkpoint) = row.ok_or(StoreError::NotFound)?;
        self.board_for(compound_id, Some(checkpoint)).await
    }

    /// The public page of a compound, by the token printed in its boards' QR code.
    pub async fn public_board(&self, token: &str) -> StoreResult<Board> {
        let id: Option<i64> = on_pool!(self, |p| {
            sqlx::query_scalar("SELECT compound_id FROM compound_pages WHERE token = $1")
                .bind(crate::clean(token))
                .fetch_optional(p)
                .await?
        });
        self.board_for(id.ok_or(StoreError::NotFound)?, None).await
    }

    /// The token of a compound's public page, made on first use.
    async fn compound_token(&self, compound_id: i64) -> StoreResult<String> {
        let fresh = crate::accounts::random_secret(12);
        Ok(on_pool!(self, |p| {
            sqlx::query(
                "INSERT INTO compound_pages (compound_id, token) VALUES ($1, $2) ON CONFLICT (compound_id) DO NOTHING",
            )
            .bind(compound_id)
            .bind(fresh)
            .execute(p)
            .await?;
            sqlx::query_scalar("SELECT token FROM compound_pages WHERE compound_id = $1")
                .bind(compound_id)
                .fetch_one(p)
                .await?
        }))
    }
}

/// A gate whose board a squad prints.
#[derive(Debug, Clone, Serialize)]
pub struct Gate {
    /// The checkpoint's id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its compound's name.
    pub compound: String,
}

impl Store {
    /// The gates of a squad's compounds, one board each. The squad was read
    /// in the actor's scope, so its gates are the actor's to print.
    pub async fn squad_gates(&self, squad: &crate::squads::Squad) -> StoreResult<Vec<Gate>> {
        let rows = self.squad_checkpoints(squad.id).await?;
        Ok(rows.into_iter().map(|(id, name, compound)| Gate { id, name, compound }).collect())
    }
}
