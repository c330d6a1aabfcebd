//! Finding the columns an import needs among the headers a user actually wrote.

use cordon_domain::values::header_key;

use super::SheetRow;

/// A column a kind of import expects: a key and the header texts (Chinese and English) that name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnSpec {
    /// The name import code uses for the column, whatever the file calls it.
    pub key: &'static str,
    /// Header texts that name this column; the key itself also matches.
    pub aliases: &'static [&'static str],
    /// Whether a file without this column is rejected outright.
    pub required: bool,
}

/// Where each expected column sits in a particular file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnMap {
    /// Every spec key, found or not, in spec order, so `header` can answer for absent ones.
    columns: Vec<Column>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Column {
    key: &'static str,
    /// Index into the row's cells and the header text found there.
    found: Option<(usize, String)>,
}

impl ColumnMap {
    /// Matches headers case-insensitively, ignoring spaces, underscores and full-width/half-width differences; columns in any order. Err lists the required keys that are missing (Vec<&'static str>).
    pub fn new(headers: &[String], specs: &[ColumnSpec]) -> Result<ColumnMap, Vec<&'static str>> {
        let normalized: Vec<String> = headers.iter().map(|h| header_key(h)).collect();
        let mut taken = vec![false; headers.len()];
        let mut columns = Vec::with_capacity(specs.len());
        let mut missing = Vec::new();
        for spec in specs {
            let names: Vec<String> = std::iter::once(spec.key)
                .chain(spec.aliases.iter().copied())
                .map(header_key)
                .filter(|name| !name.is_empty())
                .collect();
            // Leftmost unclaimed match, so a duplicated header or an alias shared by
            // two specs never puts one file column under two keys.
            let index = (0..headers.len()).find(|&i| !taken[i] && names.iter().any(|name| *name == normalized[i]));
            if let Some(i) = index {
                taken[i] = true;
            } else if spec.required {
                missing.push(spec.key);
            }
            columns.push(Column { key: spec.key, found: index.map(|i| (i, headers[i].clone())) });
        }
        if missing.is_empty() { Ok(ColumnMap { columns }) } else { Err(missing) }
    }

    /// The cell of a row for a key ("" when the column is absent or the row
    /// is short), without the quote an export put before a formula-like cell
    /// (`escape_formula`): an exported file imports again as it was.
    pub fn get<'r>(&self, row: &'r SheetRow, key: &str) -> &'r str {
        let cell = self.index(key).and_then(|i| row.cells.get(i)).map_or("", String::as_str);
        match cell.strip_prefix('\'') {
            Some(rest) if super::write::runs_as_formula(rest) => rest,
            _ => cell,
        }
    }

    /// Whether the file has the column, so an import can leave a field alone rather than blank it.
    pub fn has(&self, key: &str) -> bool {
        self.index(key).is_some()
    }

    /// The header text actually used in the file for a key (for error reports), or the key itself.
    pub fn header<'a>(&'a self, key: &'a str) -> &'a str {
        self.column(key).and_then(|column| column.found.as_ref()).map_or(key, |(_, header)| header.as_str())
    }

    fn column(&self, key: &str) -> Option<&Column> {
        self.columns.iter().find(|column| column.key == key)
    }

    fn index(&self, key: &str) -> Option<usize> {
        self.column(key).and_then(|column| column.found.as_ref()).map(|(i, _)| *i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPECS: &[ColumnSpec] = &[
        ColumnSpec { key: "name", aliases: &["姓名", "Name", "Full Name"], required: true },
        ColumnSpec { key: "phone", aliases: &["手机号", "联系电话", "Phone", "Phone Number"], required: true },
        ColumnSpec { key: "id_number", aliases: &["身份证号", "证件号码", "ID Number"], required: false },
        ColumnSpec { key: "address", aliases: &["地址", "隔离地点", "Address"], required: false },
    ];

    fn strings(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|c| (*c).to_owned()).collect()
    }

    fn row(cells: &[&str]) -> SheetRow {
        SheetRow { number: 2, cells: strings(cells) }
    }

    #[test]
    fn chinese_headers_in_any_order_find_their_columns() {
        let headers = strings(&["联系电话", "备注", "姓名", "身份证号"]);
        let map = ColumnMap::new(&headers, SPECS).unwrap();
        let r = row(&["13800000000", "x", "张三", "110101199003071234"]);
        assert_eq!(map.get(&r, "name"), "张三");
        assert_eq!(map.get(&r, "phone"), "13800000000");
        assert_eq!(map.get(&r, "id_number"), "110101199003071234");
        assert_eq!(map.get(&r, "address"), "");
        assert!(map.has("phone"));
        assert!(!map.has("address"));
    }

    #[test]
    fn english_headers_match_ignoring_case_spaces_underscores_and_full_width_forms() {
        let headers = strings(&["PHONE_NUMBER", "ｆｕｌｌ\u{3000}ｎａｍｅ", " id number ", "Id_Number"]);
        let map = ColumnMap::new(&headers, SPECS).unwrap();
        let r = row(&["139", "Li Si", "4401", "second id column"]);
        assert_eq!(map.get(&r, "phone"), "139");
        assert_eq!(map.get(&r, "name"), "Li Si");
        // The leftmost of two matching columns wins.
        assert_eq!(map.get(&r, "id_number"), "4401");
    }

    #[test]
    fn the_key_itself_and_an_asterisk_marked_header_also_match() {
        let headers = strings(&["姓名*", "phone"]);
        let map = ColumnMap::new(&headers, SPECS).unwrap();
        assert_eq!(map.header("name"), "姓名*");
        assert_eq!(map.header("phone"), "phone");
    }

    #[test]
    fn missing_required_columns_are_all_listed_and_optional_ones_are_not() {
        let headers = strings(&["地址", "备注"]);
        assert_eq!(ColumnMap::new(&headers, SPECS), Err(vec!["name", "phone"]));
    }

    #[test]
    fn a_short_row_or_unknown_key_reads_as_an_empty_cell() {
        let headers = strings(&["姓名", "手机号", "地址"]);
        let map = ColumnMap::new(&headers, SPECS).unwrap();
        let r = row(&["张三"]);
        assert_eq!(map.get(&r, "address"), "");
        assert_eq!(map.get(&r, "no_such_key"), "");
    }

    #[test]
    fn the_header_for_a_key_is_the_text_in_the_file_or_the_key_when_absent() {
        let headers = strings(&["Phone Number", "姓名"]);
        let map = ColumnMap::new(&headers, SPECS).unwrap();
        assert_eq!(map.header("phone"), "Phone Number");
        assert_eq!(map.header("name"), "姓名");
        assert_eq!(map.header("address"), "address");
        assert_eq!(map.header("no_such_key"), "no_such_key");
    }
}
