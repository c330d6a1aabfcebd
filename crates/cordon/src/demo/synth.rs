//! Synthetic people for the demo, from a fixed seed: names from common
//! characters, ID numbers with a valid GB 11643 checksum, and phone numbers in
//! the 199-0000 block that are valid in form but obviously fake.

use std::collections::HashSet;

use chrono::{Datelike, NaiveDate};
use cordon_domain::{IdNumber, Sex};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林", "何", "郭", "马",
    "罗", "梁", "宋", "郑", "谢", "韩", "唐", "冯", "于", "董", "萧", "程", "曹", "袁", "邓", "许", "傅", "沈", "曾",
    "彭", "吕", "苏", "卢", "蒋", "蔡", "贾", "丁", "魏", "薛", "叶", "阎", "余", "潘", "杜", "戴", "夏", "钟", "汪",
    "田", "任", "姜", "范", "方", "石",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "秀", "英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
    "霞", "平", "刚", "桂", "华", "建", "国", "文", "红", "玉", "兰", "春", "海", "志", "成", "亮", "宇", "鑫", "佳",
    "欣", "晨", "雪", "琳", "博", "浩", "然", "悦", "思", "雨", "梓", "涵", "子", "轩", "一", "诺", "铭", "瑶", "凯",
    "斌", "淑", "凤", "荣", "德", "福",
];

/// The demo's generator: every call sequence gives the same people.
pub struct Synth {
    rng: ChaCha8Rng,
    ids: HashSet<String>,
    next_phone: u64,
}

/// Daowai district's region code, so demo ID numbers look local.
const REGION: &str = "230104";

impl Synth {
    /// A generator from the demo's fixed seed.
    pub fn new(seed: u64) -> Synth {
        Synth { rng: ChaCha8Rng::seed_from_u64(seed), ids: HashSet::new(), next_phone: 0 }
    }

    /// A number in `[lo, hi)`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        self.rng.random_range(lo..hi)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p.clamp(0.0, 1.0))
    }

    /// One of the items.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.rng.random_range(0..items.len())]
    }

    /// A two- or three-character Chinese name.
    pub fn name(&mut self) -> String {
        let mut n = (*self.pick(SURNAMES)).to_string();
        n.push_str(self.pick::<&str>(GIVEN));
        if self.chance(0.6) {
            n.push_str(self.pick::<&str>(GIVEN));
        }
        n
    }

    /// A fresh fake mobile number: 199 0000 0001, 199 0000 0002, ...
    pub fn phone(&mut self) -> String {
        self.next_phone += 1;
        format!("1990{:07}", self.next_phone)
    }

    /// A birth date between two years.
    pub fn birth_date(&mut self, from_year: i32, to_year: i32) -> NaiveDate {
        let y = self.rng.random_range(from_year..=to_year);
        let start = NaiveDate::from_ymd_opt(y, 1, 1).expect("valid");
        let days = if NaiveDate::from_ymd_opt(y, 12, 31).expect("valid").ordinal() == 366 { 366 } else { 365 };
        start + chrono::Days::new(self.rng.random_range(0..days))
    }

    /// A unique, valid ID number for a person of this birth date and sex.
    pub fn id_number(&mut self, birth: NaiveDate, sex: Sex) -> IdNumber {
        loop {
            let seq = self.rng.random_range(0..500u32) * 2 + if sex == Sex::Male { 1 } else { 0 };
            let body = format!("{REGION}{}{seq:03}", birth.format("%Y%m%d"));
            let id = IdNumber::from_body(&body).expect("a well-formed body");
            if self.ids.insert(id.as_str().to_string()) {
                return id;
            }
        }
    }

    /// Male or female, evenly.
    pub fn sex(&mut self) -> Sex {
        if self.chance(0.5) { Sex::Male } else { Sex::Female }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_people() {
        let mut a = Synth::new(7);
        let mut b = Synth::new(7);
        for _ in 0..50 {
            assert_eq!(a.name(), b.name());
        }
    }

    #[test]
    fn synthetic_id_numbers_are_valid_unique_and_match_birth_and_sex() {
        let mut s = Synth::new(1);
        let mut seen = HashSet::new();
        for _ in 0..2000 {
            let birth = s.birth_date(1930, 2022);
            let sex = s.sex();
            let id = s.id_number(birth, sex);
            assert_eq!(id.birth_date(), birth);
            assert_eq!(id.sex(), sex);
            assert!(IdNumber::parse(id.as_str()).is_ok());
            assert!(seen.insert(id.as_str().to_string()));
        }
    }

    #[test]
    fn synthetic_phones_are_valid_and_in_the_fake_block() {
        let mut s = Synth::new(1);
        let p = s.phone();
        assert_eq!(p, "19900000001");
        assert!(cordon_domain::Phone::parse(&p).is_ok());
    }
}
