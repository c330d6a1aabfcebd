//! What imports cost in memory: a zip bomb is refused quickly, before it is
//! unpacked, without the process growing by what it would unpack to; a file of
//! many bad rows is checked without the bad cells costing more than a few dozen
//! bytes each. Apart from the other tests, because they measure the process's
//! peak memory, and one at a time (`MEASURING`).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use cordon_domain::{Actor, Key, Role};
use cordon_store::StoreError;
use cordon_store::imports::{ImportKind, LISTED_BAD_CELLS, Upload};
use cordon_store::sheets::{SheetFormat, read_sheet, zip_bomb};
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

fn none(_: &cordon_store::imports::ImportProgress) {}

/// The system allocator, counting the bytes allocated now and at most since
/// `Heap::reset`: exact where the resident size is blurred by memory freed
/// earlier and reused.
struct Heap;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

impl Heap {
    fn grew(by: usize) {
        let now = LIVE.fetch_add(by, Ordering::Relaxed) + by;
        PEAK.fetch_max(now, Ordering::Relaxed);
    }

    /// Starts the peak afresh at what is allocated now; returns that.
    fn reset() -> usize {
        let now = LIVE.load(Ordering::Relaxed);
        PEAK.store(now, Ordering::Relaxed);
        now
    }

    /// The most allocated at once since `reset`.
    fn peak() -> usize {
        PEAK.load(Ordering::Relaxed)
    }
}

// SAFETY: every call is passed on to the system allocator unchanged; only counters are added.
unsafe impl GlobalAlloc for Heap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's guarantees for `layout` hold for `System` too.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            Heap::grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `alloc`/`realloc` above, that is from `System`, with this layout.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as for `dealloc`, and `new_size` is the caller's to guarantee.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            Heap::grew(new_size);
        }
        p
    }
}

#[global_allocator]
static HEAP: Heap = Heap;

/// Held while a test measures, so the other's allocations do not count.
static MEASURING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test]
async fn a_zip_bomb_from_a_role_that_may_import_is_refused_quickly_without_growing_the_process() {
    let _alone = MEASURING.lock().await;
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
        let file =
            Upload { name: "居民.xlsx", body: cordon_store::imports::Body::Bytes(&bomb), format: SheetFormat::Xlsx };
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

#[tokio::test]
async fn checking_a_file_of_200000_bad_rows_costs_little_beyond_holding_its_sheet() {
    let _alone = MEASURING.lock().await;
    let db = sqlite().await;
    seed(&db.store).await.unwrap();
    let community = user(&db.store, "社区甲", Role::Community, "道外区/仁里街道/民强社区").await;
    const ROWS: usize = 200_000;
    let mut csv = String::from("街道,社区,小区,楼栋,单元,房号,姓名,身份证号\n");
    for n in 1..=ROWS {
        csv.push_str(&format!("仁里街道,民强社区,甲小区,1号楼,1单元,{},居民{n},12345{n}\n", n % 500 + 1));
    }
    let bytes = csv.into_bytes();

    // What the sheet alone takes to hold, as every import of the file must.
    let base = Heap::reset();
    let sheet = read_sheet(&bytes, SheetFormat::Csv).unwrap();
    let sheet_bytes = Heap::peak() - base;
    drop(sheet);

    let base = Heap::reset();
    reset_peak();
    let rss_before = peak_kib();
    let file =
        Upload { name: "居民.csv", body: cordon_store::imports::Body::Bytes(&bytes), format: SheetFormat::Csv };
    let error = db.store.import_file(&community, ImportKind::Residents, file, &none).await.unwrap_err();
    let check_bytes = Heap::peak().saturating_sub(base);
    let rss_mib = peak_kib().saturating_sub(rss_before) / 1024;
    let StoreError::Rejected(report) = error else { panic!("a rejection, got {error:?}") };
    assert_eq!((report.total, report.bad_rows.len()), (ROWS, LISTED_BAD_CELLS));
    let kept = db.store.import_report(&community, report.report.expect("a kept report")).await.unwrap();
    assert_eq!(kept.bad_cells().count(), ROWS);

    let per_cell = check_bytes.saturating_sub(sheet_bytes) / ROWS;
    eprintln!(
        "{ROWS} bad rows in {} MiB of CSV: the sheet takes {} MiB to hold; checking it and keeping its report \
         {} MiB at the most ({per_cell} bytes a bad cell beyond the sheet; resident size grew by {rss_mib} MiB)",
        bytes.len() >> 20,
        sheet_bytes >> 20,
        check_bytes >> 20,
    );
    // About 85: the cell in the kept report's compact form, and its copy as it is
    // written. Rows reserved up front for a file's worth of good rows were 356.
    assert!(per_cell < 128, "{per_cell} bytes a bad cell");
}
