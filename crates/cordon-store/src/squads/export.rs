//! Squads in scope as a file: one row per squad.

use cordon_domain::Actor;

use crate::sheets::{SheetFormat, sheet_bytes};
use crate::{Store, StoreResult};

const HEADERS: [&str; 10] = [
    "编号 id",
    "单位 unit",
    "小区 compounds",
    "人数 members",
    "队长 leader",
    "党员 party_members",
    "可成立临时党支部 branch_can_form",
    "已培训 trained",
    "在岗 on_duty_now",
    "已撤离 ended",
];

impl Store {
    /// Squads in scope as a file: one row per squad.
    pub async fn export_squads(&self, actor: &Actor, format: SheetFormat) -> StoreResult<Vec<u8>> {
        let yes_no = |b: bool| if b { "是 yes" } else { "否 no" }.to_string();
        let rows = self
            .squads(actor)
            .await?
            .into_iter()
            .map(|s| {
                let leader = s.members.iter().find(|m| m.role == "leader").map(|m| m.name.clone()).unwrap_or_default();
                vec![
                    s.id.to_string(),
                    s.unit,
                    s.compounds.join("、"),
                    s.members.len().to_string(),
                    leader,
                    s.members.iter().filter(|m| m.party_member).count().to_string(),
                    yes_no(s.branch_can_form),
                    (s.members.len() - s.untrained).to_string(),
                    s.on_duty.to_string(),
                    yes_no(s.ended_at.is_some()),
                ]
            })
            .collect();
        Ok(sheet_bytes("squads", format, &HEADERS, rows)?)
    }
}
