//! The audit log as the command reads it after real work (an order issued and
//! acknowledged, a resident's ID number revealed and searched, a compound
//! sealed, an import by the system): every action, record and actor in words
//! in Chinese and English, the change as "field: old → new", no raw JSON, no
//! full ID number or phone, scopes as names; the filters still filter and only
//! the command reads it.

mod common;

use common::{App, spawn_app_on};
use cordon_domain::control::ControlStatus;
use cordon_domain::orders::OrderEvent;
use cordon_domain::{Actor, Phone};
use cordon_store::PageRequest;
use cordon_store::audit::{ACTIONS, ENTITIES};
use cordon_store::imports::{Body, ImportKind, Upload};
use cordon_store::residents::{ResidentFilter, RevealField};
use cordon_store::sheets::SheetFormat;
use cordon_store::test_support::{compound_id, engines, id_number, unit_cadres};
use reqwest::StatusCode;

/// The rows of the log's table, without the filter form (whose options carry keys as values).
fn rows(page: &str) -> &str {
    let start = page.find("<tbody>").expect("the log's table");
    &page[start..page[start..].find("</tbody>").map(|e| start + e).unwrap()]
}

/// Does the work the log then shows; returns the order's id.
async fn work(app: &App) -> i64 {
    let s = &app.db.store;
    let cmd = s.actor_by_username("cmd").await.unwrap().unwrap();
    let lin = s.actor_by_username("lin").await.unwrap().unwrap();
    let (unit, _) = unit_cadres(s, "市林草局").await;
    let jia = compound_id(s, "甲小区").await;
    let order = cordon_store::orders::NewOrder {
        unit_id: unit,
        people: 2,
        compound_ids: vec![jia],
        deadline: s.now() + chrono::Duration::hours(2),
        note: "东门值守".into(),
    };
    let id = s.issue_order(&cmd, &order).await.unwrap();
    s.order_step(&lin, id, OrderEvent::Acknowledge, &[], false).await.unwrap();
    s.set_control(&cmd, jia, ControlStatus::Sealed, "出现阳性病例").await.unwrap();
    let named = ResidentFilter { q: Some("甲一".into()), ..Default::default() };
    let all = PageRequest::new(None, Some(10));
    let resident = s.residents(&cmd, &named, all, Default::default()).await.unwrap().items[0].id;
    s.reveal_resident(&cmd, resident, RevealField::IdNumber).await.unwrap();
    // The system (as `cordon import` runs) imports a file again: 甲一 has a new phone.
    let csv = format!(
        "街道,社区,小区,楼栋,单元,房号,姓名,身份证号,手机号,标签\n仁里街道,民强社区,甲小区,1号楼,1单元,101,甲一,{},13900000099,透析\n",
        id_number(11)
    );
    let file = Upload { name: "居民.csv", body: Body::Bytes(csv.as_bytes()), format: SheetFormat::Csv };
    s.import_file(&Actor::system(), ImportKind::Residents, file, &|_| {}).await.unwrap();
    id
}

#[tokio::test]
async fn the_log_reads_in_words_with_the_changes_as_old_to_new_and_no_personal_numbers() {
    for db in engines().await {
        let engine = db.engine;
        let app = spawn_app_on(db).await;
        let order = work(&app).await;
        let cmd = app.login("cmd").await;
        // A search by a whole ID number is itself logged (masked).
        let found = app.page(&cmd, &format!("/residents?q={}", id_number(12))).await;
        assert!(found.contains("甲二"), "{engine}: the search finds 甲二");

        let page = app.page(&cmd, "/audit?per_page=500").await;
        let zh = rows(&page);
        for words in ["下达", "收到", "设定管控状态", "查看完整身份证号", "按身份证号查询", "导入", "修改"]
        {
            assert!(zh.contains(&format!("<span>{words}</span>")), "{engine}: the action {words}");
        }
        for words in ["调度令 #", "居民 #", "管控状态 #", "导入 #", "账号 #"] {
            assert!(zh.contains(&format!(">{words}")), "{engine}: the record {words}");
        }
        // A record with a page of its own links it; one without (an import, an account) does not.
        let jia = compound_id(&app.db.store, "甲小区").await;
        assert!(zh.contains(&format!("<a href=\"/orders/{order}\">调度令 #{order}</a>")), "{engine}: {zh}");
        assert!(zh.contains(&format!("<a href=\"/places/{jia}\">管控状态 #{jia}</a>")), "{engine}");
        assert!(zh.contains("<span>导入 #") && zh.contains("<span>账号 #"), "{engine}");
        for href in zh.split("href=\"").skip(1).map(|h| &h[..h.find('"').unwrap()]) {
            let res = cmd.get(app.url(href)).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::OK, "{engine}: the link {href} opens");
        }
        assert!(zh.contains("<span>系统</span>") && zh.contains("<span>cmd</span>"), "{engine}: who did it");
        assert!(zh.contains("状态: 已下达 → 已收到"), "{engine}: the order's step as old → new");
        assert!(zh.contains("管控状态: 未设定 → 封控区"), "{engine}: the sealing as old → new");
        let (old, new) = (Phone::parse("13800000011").unwrap().masked(), Phone::parse("13900000099").unwrap().masked());
        assert!(zh.contains(&format!("手机号: {old} → {new}")), "{engine}: the import's change, masked");
        assert!(zh.contains("新建") && zh.contains("人数: 2"), "{engine}: the issued order reads as created");
        // Scopes as people name them, not as the command line writes them.
        assert!(zh.contains("范围: 全市") && zh.contains("范围: 市林草局"), "{engine}: scopes as names");
        assert!(zh.contains("范围: 道外区 › 仁里街道 › 民强社区 › 甲小区"), "{engine}: a place scope as its path");
        assert!(!zh.contains("unit:") && !zh.contains("范围: city"), "{engine}: no written scope");
        // No raw key, no JSON, no personal number in full.
        for key in ACTIONS.iter().chain(ENTITIES) {
            assert!(!zh.contains(&format!("<span>{key}</span>")), "{engine}: the raw key {key}");
            assert!(!zh.contains(&format!("<span>{key} ")), "{engine}: the raw record {key}");
        }
        assert!(!zh.contains("<span>system</span>"), "{engine}: the system in words");
        assert!(!zh.contains("{&#34;") && !zh.contains("{\"") && !zh.contains("&#34;:"), "{engine}: no raw JSON");
        for n in [11, 12, 21, 22] {
            let id = id_number(n);
            assert!(!page.contains(&id) && !page.contains(&id[..14]), "{engine}: the ID number {id} in full");
        }
        assert!(!page.contains("13800000011") && !page.contains("13900000099"), "{engine}: a phone in full");

        // The same log in English.
        assert_eq!(cmd.get(app.url("/lang/en")).send().await.unwrap().status(), StatusCode::SEE_OTHER);
        let page = app.page(&cmd, "/audit?per_page=500").await;
        let en = rows(&page);
        for words in [
            "Issued",
            "Acknowledged",
            "Control status set",
            "Saw the full ID number",
            "Searched by ID number",
            "Imported",
        ] {
            assert!(en.contains(&format!("<span>{words}</span>")), "{engine}: the action {words} in English");
        }
        assert!(en.contains("<span>System</span>") && !en.contains("<span>系统</span>"), "{engine}: System");
        assert!(en.contains("State: Issued → Acknowledged"), "{engine}: the step in English");
        assert!(en.contains("Control status: not set → Sealed zone"), "{engine}: the sealing in English");
        assert!(en.contains("Scope: The whole city"), "{engine}: the city scope in English");
        assert!(en.contains(">Order #") && en.contains(">Resident #"), "{engine}: records in English");
    }
}

#[tokio::test]
async fn the_filters_still_filter_and_only_the_command_reads_the_log() {
    for db in engines().await {
        let engine = db.engine;
        let app = spawn_app_on(db).await;
        let order = work(&app).await;
        let cmd = app.login("cmd").await;

        // By kind of record: a choice in words that keeps its key.
        let page = app.page(&cmd, "/audit?entity=control").await;
        assert!(page.contains("<option value=\"control\" selected>管控状态</option>"), "{engine}: the choice shows");
        let only = rows(&page);
        assert!(only.contains("设定管控状态") && !only.contains("<span>下达</span>"), "{engine}: only control");
        // By record: the order's own lines, its issue and its step.
        let page = app.page(&cmd, &format!("/audit?entity=order&entity_id={order}")).await;
        let only = rows(&page);
        assert_eq!(only.matches("<tr>").count(), 2, "{engine}: the order's two lines");
        // By who did it: the system's word finds the system's lines.
        let page = app.page(&cmd, "/audit?actor=%E7%B3%BB%E7%BB%9F&per_page=500").await;
        let only = rows(&page);
        assert!(only.contains("<span>系统</span>") && !only.contains("<span>cmd</span>"), "{engine}: the system");
        let page = app.page(&cmd, "/audit?actor=cmd&per_page=500").await;
        let only = rows(&page);
        assert!(only.contains("<span>cmd</span>") && !only.contains("<span>系统</span>"), "{engine}: cmd only");
        // A kind the list does not know still filters (to nothing) and shows as typed.
        let page = app.page(&cmd, "/audit?entity=gizmo").await;
        assert!(rows(&page).matches("<tr>").count() == 0 && page.contains("没有符合条件的记录"), "{engine}");

        // Others may not read it, on the page or through the API.
        for who in ["lin", "leader"] {
            let c = app.login(who).await;
            let res = c.get(app.url("/audit")).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{engine}: {who} reads no log");
        }
    }
}
