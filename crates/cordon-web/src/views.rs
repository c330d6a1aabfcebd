//! What every page shares: the layout (navigation by capability, language
//! switch, sign-out form), paging links, and the pages of no one capability.

use askama::Template;
use askama_web::WebTemplate;
use cordon_domain::Capability;
use cordon_store::Page;

use crate::accounts::Ctx;
use crate::i18n::{Lang, Tr};

/// One entry of the navigation.
pub struct NavItem {
    /// Where it goes.
    pub href: &'static str,
    /// Its text.
    pub label: String,
}

/// The frame of a signed-in page.
pub struct Layout {
    /// The translator.
    pub tr: Tr,
    /// The signed-in user's name, role and scope.
    pub user: String,
    /// The user's role, translated.
    pub role: String,
    /// The CSRF token for the sign-out form.
    pub csrf: String,
    /// Navigation entries the user's role may use.
    pub nav: Vec<NavItem>,
    /// The language switch.
    pub langs: Vec<LangLink>,
    /// The page's title.
    pub title: String,
    /// Units' English names, on English pages.
    unit_names: std::sync::Arc<std::collections::HashMap<String, String>>,
}

impl Layout {
    /// The frame for a page titled by a key.
    pub fn new(ctx: &Ctx, title_key: &str) -> Layout {
        Layout::titled(ctx, ctx.tr.t(title_key))
    }

    /// The frame for a page with a given title.
    pub fn titled(ctx: &Ctx, title: String) -> Layout {
        let tr = ctx.tr;
        let a = &ctx.actor;
        let mut nav = vec![NavItem { href: "/", label: tr.t("nav-home") }];
        if a.cadre_id.is_some() {
            nav.push(NavItem { href: "/me/shifts", label: tr.t("nav-my-shifts") });
        }
        if a.can(Capability::ViewPlaces) {
            nav.push(NavItem { href: "/places", label: tr.t("nav-places") });
        }
        if a.can(Capability::ViewResidents) {
            nav.push(NavItem { href: "/residents", label: tr.t("nav-residents") });
        }
        if a.can(Capability::ViewCadres) {
            nav.push(NavItem { href: "/units", label: tr.t("nav-units") });
        }
        if a.can(Capability::ViewSquads) {
            nav.push(NavItem { href: "/orders", label: tr.t("nav-orders") });
            nav.push(NavItem { href: "/squads", label: tr.t("nav-squads") });
        }
        if a.can(Capability::ManagePlaces) || a.can(Capability::ManageResidents) || a.can(Capability::ManageCadres) {
            nav.push(NavItem { href: "/imports", label: tr.t("nav-imports") });
        }
        if a.can(Capability::ViewAudit) {
            nav.push(NavItem { href: "/audit", label: tr.t("nav-audit") });
        }
        if cordon_domain::webhooks::may_manage(a) {
            nav.push(NavItem { href: "/webhooks", label: tr.t("nav-webhooks") });
        }
        if cordon_domain::quarantine::site::may_list_sites(a) {
            nav.push(NavItem { href: "/quarantine", label: tr.t("nav-quarantine") });
        }
        Layout {
            tr,
            user: a.username.clone(),
            role: tr.t(&format!("role-{}", a.role.as_str())),
            csrf: ctx.csrf.clone(),
            nav,
            langs: langs(tr.lang, &ctx.path),
            title,
            unit_names: ctx.unit_names.clone(),
        }
    }

    /// A unit by the name of the page's language: its English name on an
    /// English page when it has one, else its Chinese name.
    pub fn unit(&self, name: &str) -> String {
        unit_name(&self.unit_names, name)
    }

    /// Several units, each by the name of the page's language, joined as the language lists them.
    pub fn units(&self, names: &[String]) -> String {
        let sep = if self.tr.lang == Lang::Zh { "、" } else { ", " };
        names.iter().map(|n| self.unit(n)).collect::<Vec<_>>().join(sep)
    }
}

/// One entry of the language switch.
pub struct LangLink {
    /// The switch URL, coming back to the current page.
    pub href: String,
    /// The language's own name.
    pub name: &'static str,
    /// Whether it is the current language.
    pub current: bool,
}

/// The language switch entries, each coming back to `back`.
pub fn langs(current: Lang, back: &str) -> Vec<LangLink> {
    let q = serde_urlencoded::to_string([("back", back)]).unwrap_or_default();
    // Staff pages are Chinese and English; Russian is for travellers' pages.
    [Lang::Zh, Lang::En]
        .into_iter()
        .map(|l| LangLink { href: format!("/lang/{}?{q}", l.code()), name: l.native_name(), current: l == current })
        .collect()
}

/// Links to the neighbouring pages of a list.
pub struct Pager {
    /// This page.
    pub page: i64,
    /// How many pages.
    pub pages: i64,
    /// How many rows in all.
    pub total: i64,
    /// The previous page's URL.
    pub prev: Option<String>,
    /// The next page's URL.
    pub next: Option<String>,
    /// A list read by keyset has no page numbers, only its total (capped: a lower bound).
    pub keyset: Option<bool>,
}

impl Pager {
    /// "page 2 of 7, 312 in all" in the user's language ("312 in all" for a keyset list).
    pub fn label(&self, tr: &Tr) -> String {
        if let Some(capped) = self.keyset {
            let key = if capped { "list-total-capped" } else { "list-total" };
            return tr.t_with(key, &[("total", self.total.to_string())]);
        }
        tr.t_with(
            "page-of",
            &[("page", self.page.to_string()), ("pages", self.pages.to_string()), ("total", self.total.to_string())],
        )
    }

    /// Builds the links from a page and the list's other query parameters.
    pub fn new<T>(base: &str, params: &[(&str, String)], page: &Page<T>) -> Pager {
        let url = |n: i64| {
            let mut q: Vec<(&str, String)> = params.iter().filter(|(_, v)| !v.is_empty()).cloned().collect();
            q.push(("page", n.to_string()));
            format!("{base}?{}", serde_urlencoded::to_string(&q).unwrap_or_default())
        };
        Pager {
            page: page.page,
            pages: page.pages(),
            total: page.total,
            prev: (page.page > 1).then(|| url(page.page - 1)),
            next: (page.page < page.pages()).then(|| url(page.page + 1)),
            keyset: None,
        }
    }

    /// Builds the links of a list read by keyset: `after=` the last row, `before=` the first.
    pub fn keyset<T>(base: &str, params: &[(&str, String)], slice: &cordon_store::Slice<T>) -> Pager {
        let url = |key: &str, cursor: &String| {
            let mut q: Vec<(&str, String)> = params.iter().filter(|(_, v)| !v.is_empty()).cloned().collect();
            q.push((key, cursor.clone()));
            format!("{base}?{}", serde_urlencoded::to_string(&q).unwrap_or_default())
        };
        Pager {
            page: 0,
            pages: 0,
            total: slice.total,
            prev: slice.prev.as_ref().map(|c| url("before", c)),
            next: slice.next.as_ref().map(|c| url("after", c)),
            keyset: Some(slice.total_capped),
        }
    }
}

/// The sign-in page.
#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
pub struct LoginView {
    /// The translator.
    pub tr: Tr,
    /// The form's CSRF token.
    pub csrf: String,
    /// Where to go after.
    pub next: String,
    /// The name typed before, kept on a failed attempt.
    pub username: String,
    /// What went wrong.
    pub error: Option<String>,
}

/// A failed request, in the user's language.
#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
pub struct ErrorView {
    /// The translator.
    pub tr: Tr,
    /// The HTTP status.
    pub status: u16,
    /// What happened.
    pub message: String,
    /// More detail that is safe to show.
    pub detail: Option<String>,
}

/// The signed-in user's own page: who they are, and a password change.
#[derive(Template, WebTemplate)]
#[template(path = "account.html")]
pub struct AccountView {
    /// The frame.
    pub l: Layout,
    /// The user's written scope.
    pub scope: String,
    /// Said while the session was opened with a one-time password.
    pub must_change: Option<String>,
    /// Said after a change.
    pub done: Option<String>,
    /// What went wrong.
    pub error: Option<String>,
}

/// Reads a form body with repeated keys (`compound=1&compound=2`), which
/// `axum::Form` into a struct cannot.
pub fn pairs(body: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str(body).unwrap_or_default()
}

/// The first value of a key in a form body, or "".
pub fn field<'a>(pairs: &'a [(String, String)], key: &str) -> &'a str {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).unwrap_or("")
}

/// Every value of a key as ids, or `None` if one is not an id: for forms where
/// dropping a value would act on fewer people than were ticked.
pub fn ids_of(pairs: &[(String, String)], key: &str) -> Option<Vec<i64>> {
    pairs.iter().filter(|(k, _)| k == key).map(|(_, v)| v.trim().parse().ok()).collect()
}

/// A user's scope as people name it: 全市 (the whole city), the unit or
/// site by its name, a place by its path of names (道外区 › 仁里街道); never
/// the written form (`city`, `unit:市林草局`) that the command line takes.
pub fn scope_shown(tr: &Tr, written: &str) -> String {
    use cordon_domain::ScopeSpec;
    match ScopeSpec::parse(written) {
        Ok(ScopeSpec::City) => tr.t("scope-city"),
        Ok(ScopeSpec::Place(names)) => names.iter().map(|n| n.as_str()).collect::<Vec<_>>().join(" › "),
        Ok(ScopeSpec::Unit(name) | ScopeSpec::Site(name)) => name,
        Err(_) => written.to_string(),
    }
}

/// The one answer to a page's form: on success, a redirect to `done` (so a
/// reload does not post again); on a refusal, the form's page once more with
/// the refusal worded, as 422; anything else is an error page.
pub async fn after_form<T, V, Fut>(
    ctx: &Ctx,
    result: Result<T, cordon_store::StoreError>,
    done: &str,
    again: impl FnOnce(String) -> Fut,
) -> Result<axum::response::Response, crate::error::PageError>
where
    V: axum::response::IntoResponse,
    Fut: std::future::Future<Output = Result<V, crate::error::PageError>>,
{
    use axum::response::IntoResponse;
    use cordon_store::StoreError;
    match result {
        Ok(_) => Ok(axum::response::Redirect::to(done).into_response()),
        Err(StoreError::Invalid(r) | StoreError::Conflict(r)) => {
            let page = again(ctx.tr.refusal(&r)).await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// A unit by its English name when the page's table has one, else as named.
pub(crate) fn unit_name(names: &std::collections::HashMap<String, String>, name: &str) -> String {
    names.get(name).cloned().unwrap_or_else(|| name.to_string())
}
