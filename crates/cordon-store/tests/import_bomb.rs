//! A zip bomb sent as an import: refused quickly, before it is unpacked, and
//! without the process growing by what it would unpack to. Alone in its test
//! binary, because it measures the process's peak memory.

use std::time::{Duration, Instant};

use cordon_domain::{Actor, Key, Role};
use cordon_store::StoreError;
use cordon_store::imports::{ImportKind, Upload};
use cordon_store::sheets::{SheetFormat, zip_bomb};
use cordon_store::test_support::{seed, sqlite, user};

/// The process's peak resident memory so far, in KiB (`VmHWM`).
fn peak_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).expect("a VmHWM line");
    line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).expect("a number of kB")
}

/// Starts the peak afresh at the present resident size (writing 5 to clear_refs).
fn reset_peak() {
    std::fs::write("/proc/self/clear_refs", "5").expect("reset the peak");
}

fn none(_: usize, _: usize) {}

#[tokio::test]
async fn a_zip_bomb_from_a_role_that_may_import_is_refused_quickly_without_growing_the_process() {
    let db = sqlite().await;
    seed(&db.store).await.unwrap();
    // A community worker may import residents.
    let community = user(&db.store, "社区甲", Role::Community, "道外区/仁里街道/民强社区").await;
    for (honest, expected) in [(true, Key::SheetTooLarge), (false, Key::SheetBadXlsx)] {
        let bomb = zip_bomb(3 << 30, honest);
        assert!(bomb.len() < 8 << 20, "a few megabytes: {} bytes", bomb.len());
        reset_peak();
        let before = peak_kib();
        let started = Instant::now();
        let file = Upload { name: "居民.xlsx", bytes: &bomb, format: SheetFormat::Xlsx };
        let error = db.store.import_file(&community, ImportKind::Residents, file, &none).await.unwrap_err();
        let took = started.elapsed();
        let grown_mib = peak_kib().saturating_sub(before) / 1024;
        eprintln!(
            "zip bomb of {} bytes unpacking to 3 GiB, sizes {}: refused in {took:?}, peak memory grew by {grown_mib} MiB",
            bomb.len(),
            if honest { "declared" } else { "lied about" }
        );
        let StoreError::Sheet(sheet) = &error else { panic!("a refusal of the file, got {error:?}") };
        // Declared honestly, it is too large; lying, the archive contradicts itself
        // (the zip reader stops at the declared size, and the limit holds below it).
        assert_eq!(sheet.refusal().key, expected, "{sheet:?}");
        assert!(took < Duration::from_secs(10), "refused in {took:?}");
        assert!(grown_mib < 100, "the process grew by {grown_mib} MiB");
    }
    // Nothing was written.
    let runs = db.store.import_runs(&Actor::system(), 10).await.unwrap();
    assert!(runs.is_empty());
}
