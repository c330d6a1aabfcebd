//! Every resident the actor may see, as a file: personal numbers masked, the
//! age instead of the birth date, every cell formula-escaped by the sheet
//! writer, the export audited.

use cordon_domain::clock::Zone;
use cordon_domain::{Actor, Capability};

use super::ResidentFilter;
use crate::sheets::{SheetFormat, sheet_bytes};
use crate::{Keyset, Store, StoreError, StoreResult};

const HEADERS: [&str; 8] =
    ["住址 address", "姓名 name", "身份证号 id_number", "手机号 phone", "年龄 age", "性别 sex", "标签 tags", "编号 id"];

impl Store {
    /// Every resident the actor may see, as a file; ages on today's date in `zone`.
    pub async fn export_residents(&self, actor: &Actor, format: SheetFormat, zone: Zone) -> StoreResult<Vec<u8>> {
        if !actor.can(Capability::Export) || !actor.can(Capability::ViewResidents) {
            return Err(StoreError::Forbidden);
        }
        let mut all = Vec::new();
        let mut after = None;
        loop {
            let slice =
                self.residents(actor, &ResidentFilter::default(), Keyset::new(after, None, Some(500)), zone).await?;
            all.extend(slice.items);
            match slice.next {
                Some(next) => after = next.parse().ok(),
                None => break,
            }
        }
        let total = all.len();
        let rows = all.into_iter().map(|r| {
            vec![
                r.address,
                r.name,
                r.id_number_masked,
                r.phone_masked.unwrap_or_default(),
                r.age.to_string(),
                r.sex.as_str().to_string(),
                r.tags.iter().map(|t| t.zh()).collect::<Vec<_>>().join("；"),
                r.id.to_string(),
            ]
        });
        let bytes = sheet_bytes("residents", format, &HEADERS, rows.collect())?;
        on_pool!(self, |p| {
            audit_insert!(
                p,
                crate::audit::NewEntry::new(self.now(), actor, "export", "residents", format.extension().to_string())
                    .after(serde_json::json!({"rows": total}).to_string())
            )?;
        });
        Ok(bytes)
    }
}
