//! Exports of lists to CSV or XLSX: only rows in the actor's scope, personal
//! numbers masked, every cell formula-escaped by the sheet writer.

use cordon_domain::{Actor, Capability};

use crate::residents::ResidentFilter;
use crate::sheets::{SheetFormat, write_csv, write_xlsx};
use crate::{PageRequest, Store, StoreError, StoreResult};

const RESIDENT_HEADERS: [&str; 8] = [
    "住址 address",
    "姓名 name",
    "身份证号 id_number",
    "手机号 phone",
    "出生日期 birth_date",
    "性别 sex",
    "标签 tags",
    "编号 id",
];

const ORDER_HEADERS: [&str; 13] = [
    "编号 id",
    "单位 unit",
    "小区 compounds",
    "人数 people",
    "状态 state",
    "报到时限 deadline",
    "下达 issued",
    "收到 acknowledged",
    "集结完毕 assembled",
    "报到 on_site",
    "撤离 stood_down",
    "超时 overdue",
    "原因 reason",
];
const SQUAD_HEADERS: [&str; 10] = [
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

fn sheet_bytes(name: &str, format: SheetFormat, headers: &[&str], rows: Vec<Vec<String>>) -> StoreResult<Vec<u8>> {
    Ok(match format {
        SheetFormat::Csv => {
            let mut out = Vec::new();
            write_csv(&mut out, headers, rows)?;
            out
        }
        SheetFormat::Xlsx => write_xlsx(name, headers, rows)?,
    })
}

impl Store {
    /// Orders in scope as a file: one row per order with the time of each step.
    pub async fn export_orders(
        &self,
        actor: &Actor,
        filter: &crate::mobilisation::OrderFilter,
        format: SheetFormat,
        zone: cordon_domain::clock::Zone,
    ) -> StoreResult<Vec<u8>> {
        let page = self.orders(actor, filter, PageRequest { page: 1, per_page: i64::MAX / 2 }).await?;
        let at = |o: &crate::mobilisation::Order, state: &str| {
            o.steps
                .iter()
                .find(|s| s.state == state)
                .map(|s| zone.local(s.at).format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_default()
        };
        let rows = page
            .items
            .iter()
            .map(|o| {
                vec![
                    o.id.to_string(),
                    o.unit.clone(),
                    o.compounds.join("、"),
                    o.people.to_string(),
                    o.state.as_str().to_string(),
                    zone.local(o.deadline).format("%Y-%m-%d %H:%M").to_string(),
                    at(o, "issued"),
                    at(o, "acknowledged"),
                    at(o, "assembled"),
                    at(o, "on-site"),
                    at(o, "stood-down"),
                    if o.overdue { "是 yes" } else { "否 no" }.to_string(),
                    o.reason.clone().unwrap_or_default(),
                ]
            })
            .collect();
        sheet_bytes("orders", format, &ORDER_HEADERS, rows)
    }

    /// Squads in scope as a file: one row per squad.
    pub async fn export_squads(&self, actor: &Actor, format: SheetFormat) -> StoreResult<Vec<u8>> {
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
                    if s.branch_can_form { "是 yes" } else { "否 no" }.to_string(),
                    (s.members.len() - s.untrained).to_string(),
                    s.on_duty.to_string(),
                    if s.ended_at.is_some() { "是 yes" } else { "否 no" }.to_string(),
                ]
            })
            .collect();
        sheet_bytes("squads", format, &SQUAD_HEADERS, rows)
    }

    /// Every resident the actor may see, as a file.
    pub async fn export_residents(&self, actor: &Actor, format: SheetFormat) -> StoreResult<Vec<u8>> {
        if !actor.can(Capability::Export) || !actor.can(Capability::ViewResidents) {
            return Err(StoreError::Forbidden);
        }
        let all = PageRequest { page: 1, per_page: i64::MAX / 2 };
        let page = self.residents(actor, &ResidentFilter::default(), all).await?;
        let rows = page.items.into_iter().map(|r| {
            vec![
                r.address,
                r.name,
                r.id_number_masked,
                r.phone_masked.unwrap_or_default(),
                r.birth_date.to_string(),
                r.sex.as_str().to_string(),
                r.tags.iter().map(|t| t.zh()).collect::<Vec<_>>().join("；"),
                r.id.to_string(),
            ]
        });
        let bytes = sheet_bytes("residents", format, &RESIDENT_HEADERS, rows.collect())?;
        on_pool!(self, |p| {
            audit_insert!(
                p,
                crate::audit::NewEntry::new(actor, "export", "residents", format.extension().to_string())
                    .after(serde_json::json!({"rows": page.total}).to_string())
            )?;
        });
        Ok(bytes)
    }
}
