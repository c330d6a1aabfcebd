//! Who acts: roles map to capabilities (what may be done), scopes to rows
//! (where). Authorisation is decided here and applied by the store in its
//! queries; nothing else decides it.

use serde::{Deserialize, Serialize};

use crate::places::{PlaceName, PlacePath};

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// 指挥部: the command, sees and runs everything in its scope.
    Command,
    /// 组织部: the organisation department, draws cadres from units.
    Organisation,
    /// 单位联络员: a unit's coordinator.
    Unit,
    /// 队长: a squad's leader.
    SquadLeader,
    /// 队员: a squad member.
    SquadMember,
    /// 社区工作者: a community worker.
    Community,
    /// 点长: a quarantine site's manager.
    SiteManager,
    /// 工作组成员: a member of a site's functional group.
    SiteGroup,
}

/// Something a user may do; rows are limited separately by scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Capability {
    /// See the administrative tree and checkpoints.
    ViewPlaces,
    /// Create and import places.
    ManagePlaces,
    /// See residents (masked).
    ViewResidents,
    /// Create, import and correct residents.
    ManageResidents,
    /// See units and cadres (masked).
    ViewCadres,
    /// Create, import and correct cadres.
    ManageCadres,
    /// Reveal a masked ID number or phone (logged).
    RevealPersonal,
    /// Read the audit log.
    ViewAudit,
    /// Export lists to files.
    Export,
    /// Issue, cancel and stand down mobilisation orders.
    IssueOrders,
    /// Answer a unit's orders: acknowledge, assemble, decline, report on site.
    AnswerOrders,
    /// See squads and orders.
    ViewSquads,
    /// Build and staff a squad's duty roster (the squad leader, the unit, the command).
    EditRosters,
    /// Configure the outbound webhooks and read their delivery log.
    ManageWebhooks,
    /// Set a compound's control status (封控 / 管控 / 防范).
    SetControl,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 8] = [
        Role::Command,
        Role::Organisation,
        Role::Unit,
        Role::SquadLeader,
        Role::SquadMember,
        Role::Community,
        Role::SiteManager,
        Role::SiteGroup,
    ];

    /// The key used on the command line, in the database and in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Command => "command",
            Role::Organisation => "organisation",
            Role::Unit => "unit",
            Role::SquadLeader => "squad-leader",
            Role::SquadMember => "squad-member",
            Role::Community => "community",
            Role::SiteManager => "site-manager",
            Role::SiteGroup => "site-group",
        }
    }

    /// Reads the key back.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }

    /// Whether this role may do a thing at all (the scope then limits where).
    pub fn can(self, cap: Capability) -> bool {
        use Capability::*;
        match self {
            Role::Command => true,
            Role::Organisation => matches!(
                cap,
                ViewPlaces | ViewCadres | ManageCadres | RevealPersonal | Export | IssueOrders | ViewSquads
            ),
            Role::Unit => {
                matches!(
                    cap,
                    ViewCadres | ManageCadres | RevealPersonal | Export | AnswerOrders | ViewSquads | EditRosters
                )
            }
            Role::SquadLeader => {
                matches!(cap, ViewPlaces | ViewResidents | RevealPersonal | AnswerOrders | ViewSquads | EditRosters)
            }
            Role::SquadMember => matches!(cap, ViewPlaces | ViewResidents | ViewSquads),
            Role::Community => {
                matches!(cap, ViewPlaces | ViewResidents | ManageResidents | RevealPersonal | Export | ViewSquads)
            }
            Role::SiteManager | Role::SiteGroup => false,
        }
    }

    /// Which kinds of scope make sense for this role; `user add` refuses others.
    pub fn accepts(self, scope: &ScopeSpec) -> bool {
        match self {
            Role::Command | Role::Organisation => {
                matches!(scope, ScopeSpec::City | ScopeSpec::Place(_))
            }
            Role::Unit => matches!(scope, ScopeSpec::Unit(_)),
            Role::SquadLeader | Role::SquadMember | Role::Community => {
                matches!(scope, ScopeSpec::Place(_))
            }
            Role::SiteManager | Role::SiteGroup => matches!(scope, ScopeSpec::Site(_)),
        }
    }
}

/// A scope as a person writes it: `city`, a path of place names below the
/// city (`道外区/仁里街道`), `unit:<unit name>` or `site:<site name>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeSpec {
    /// The whole city.
    City,
    /// A node of the administrative tree, by names from the district down.
    Place(Vec<PlaceName>),
    /// A municipal unit, by name.
    Unit(String),
    /// A quarantine site, by name.
    Site(String),
}

/// Why a scope text cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    /// Empty text.
    #[error("a scope is `city`, a place path such as 道外区/仁里街道, `unit:NAME` or `site:NAME`")]
    Empty,
    /// A part of a place path is not a place name.
    #[error("`{0}` is not a place name")]
    BadPart(String),
}

impl From<ScopeError> for crate::Refusal {
    fn from(_: ScopeError) -> crate::Refusal {
        crate::Key::ScopeBad.into()
    }
}

impl ScopeSpec {
    /// Parses the written form.
    pub fn parse(s: &str) -> Result<ScopeSpec, ScopeError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(ScopeError::Empty);
        }
        if s == "city" {
            return Ok(ScopeSpec::City);
        }
        if let Some(u) = s.strip_prefix("unit:") {
            let u = u.trim();
            return if u.is_empty() { Err(ScopeError::Empty) } else { Ok(ScopeSpec::Unit(u.into())) };
        }
        if let Some(site) = s.strip_prefix("site:") {
            let site = site.trim();
            return if site.is_empty() { Err(ScopeError::Empty) } else { Ok(ScopeSpec::Site(site.into())) };
        }
        s.split('/')
            .filter(|p| !p.trim().is_empty())
            .map(|p| PlaceName::parse(p).map_err(|_| ScopeError::BadPart(p.to_string())))
            .collect::<Result<Vec<_>, _>>()
            .map(ScopeSpec::Place)
    }

    /// The written form.
    pub fn to_text(&self) -> String {
        match self {
            ScopeSpec::City => "city".into(),
            ScopeSpec::Place(parts) => parts.iter().map(|p| p.as_str()).collect::<Vec<_>>().join("/"),
            ScopeSpec::Unit(u) => format!("unit:{u}"),
            ScopeSpec::Site(s) => format!("site:{s}"),
        }
    }
}

/// A scope resolved to the records it names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Scope {
    /// Everything.
    City,
    /// A place and everything below it.
    Place {
        /// The place's id.
        id: i64,
        /// Its materialised path.
        path: PlacePath,
    },
    /// One municipal unit's cadres.
    Unit {
        /// The unit's id.
        id: i64,
    },
    /// One quarantine site.
    Site {
        /// The site's id.
        id: i64,
    },
}

impl Scope {
    /// Whether a place with this path lies inside the scope.
    pub fn covers_place(&self, path: &PlacePath) -> bool {
        match self {
            Scope::City => true,
            Scope::Place { path: mine, .. } => mine.contains(path),
            Scope::Unit { .. } | Scope::Site { .. } => false,
        }
    }

    /// Whether the cadres of this unit lie inside the scope.
    pub fn covers_unit(&self, unit_id: i64) -> bool {
        match self {
            Scope::City => true,
            Scope::Unit { id } => *id == unit_id,
            Scope::Place { .. } | Scope::Site { .. } => false,
        }
    }

    /// The place-path range rows must fall in, `None` for the whole city,
    /// `Some(empty range)` when the scope holds no places at all.
    pub fn place_range(&self) -> Option<(String, String)> {
        match self {
            Scope::City => None,
            Scope::Place { path, .. } => Some(path.range()),
            // An empty range: no path is >= "~" and < "~".
            Scope::Unit { .. } | Scope::Site { .. } => Some(("~".into(), "~".into())),
        }
    }

    /// The unit whose cadres are visible: `None` for all units, `Some(None)` for none.
    pub fn unit_filter(&self) -> Option<Option<i64>> {
        match self {
            Scope::City => None,
            Scope::Unit { id } => Some(Some(*id)),
            Scope::Place { .. } | Scope::Site { .. } => Some(None),
        }
    }
}

/// The acting user of a request or command, as every store call receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    /// The user's id; 0 for the system itself (migrations, demo).
    pub user_id: i64,
    /// The login name, written into the audit log.
    pub username: String,
    /// The role.
    pub role: Role,
    /// The resolved scope.
    pub scope: Scope,
    /// The written scope, for display.
    pub scope_label: String,
    /// The cadre this account belongs to, for a squad member in the field
    /// (their own shifts); `None` for desk accounts.
    pub cadre_id: Option<i64>,
}

impl Actor {
    /// The system acting on its own (demo building, command-line imports by an operator).
    pub fn system() -> Actor {
        Actor {
            user_id: 0,
            username: "system".into(),
            role: Role::Command,
            scope: Scope::City,
            scope_label: "city".into(),
            cadre_id: None,
        }
    }

    /// Whether the role allows this.
    pub fn can(&self, cap: Capability) -> bool {
        self.role.can(cap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_texts_read_back() {
        for s in ["city", "道外区/仁里街道", "unit:市总工会", "site:卓林酒店隔离点"] {
            assert_eq!(ScopeSpec::parse(s).unwrap().to_text(), s);
        }
        assert_eq!(ScopeSpec::parse(""), Err(ScopeError::Empty));
        assert_eq!(ScopeSpec::parse("unit:"), Err(ScopeError::Empty));
    }

    #[test]
    fn roles_read_back_and_only_command_reads_the_audit_log() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
            assert_eq!(r.can(Capability::ViewAudit), r == Role::Command);
            assert_eq!(r.can(Capability::ManageWebhooks), r == Role::Command);
        }
    }

    #[test]
    fn a_squad_member_cannot_reveal_or_manage() {
        assert!(!Role::SquadMember.can(Capability::RevealPersonal));
        assert!(!Role::SquadMember.can(Capability::ManageResidents));
        assert!(Role::SquadMember.can(Capability::ViewResidents));
    }

    #[test]
    fn a_place_scope_covers_its_subtree_only() {
        let street = PlacePath::root(1).child(2);
        let scope = Scope::Place { id: 2, path: street.clone() };
        assert!(scope.covers_place(&street.child(9)));
        assert!(!scope.covers_place(&PlacePath::root(1).child(3)));
        assert!(!scope.covers_unit(1));
        assert!(Scope::Unit { id: 4 }.covers_unit(4));
        assert!(!Scope::Unit { id: 4 }.covers_place(&street));
    }

    #[test]
    fn roles_accept_only_fitting_scopes() {
        assert!(Role::Unit.accepts(&ScopeSpec::Unit("x".into())));
        assert!(!Role::Unit.accepts(&ScopeSpec::City));
        assert!(!Role::SquadMember.accepts(&ScopeSpec::City));
    }
}
