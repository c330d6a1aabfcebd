//! Orders in scope as a file: one row per order with the local time of each step.

use cordon_domain::Actor;
use cordon_domain::clock::Zone;

use super::{Order, OrderFilter};
use crate::sheets::{SheetFormat, sheet_bytes};
use crate::{PageRequest, Store, StoreResult};

const HEADERS: [&str; 13] = [
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

impl Store {
    /// Orders in scope as a file: one row per order with the time of each step.
    pub async fn export_orders(
        &self,
        actor: &Actor,
        filter: &OrderFilter,
        format: SheetFormat,
        zone: Zone,
    ) -> StoreResult<Vec<u8>> {
        let page = self.orders(actor, filter, PageRequest { page: 1, per_page: i64::MAX / 2 }).await?;
        let local = |t| zone.local(t).format("%Y-%m-%d %H:%M").to_string();
        let at =
            |o: &Order, state: &str| o.steps.iter().find(|s| s.state == state).map(|s| local(s.at)).unwrap_or_default();
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
                    local(o.deadline),
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
        Ok(sheet_bytes("orders", format, &HEADERS, rows)?)
    }
}
