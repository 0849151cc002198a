//! `/admin`: SSO settings and sessions. Who may see it is decided by the server (`whoami`);
//! this page only chooses the credential: the setup token when one was entered, else the
//! session cookie.

use crate::admin::check::{check_discovery, check_jwks, CheckItem, CheckTarget, Fetched, Status};
use crate::admin::presets::{issuer_warnings, Preset};
use crate::api::client::{self, Credential};
use crate::api::{ApiError, AuditPage, SettingsDocument, SettingsUpdate, Source, TypedSettings};
use crate::auth::storage::{SessionStore, SETUP_TOKEN_KEY};
use crate::auth::{browser, http, use_auth};
use crate::components::{CopyValue, SignInButton};
use crate::oidc::discovery::discovery_url;
use crate::oidc::url::check_issuer;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::collections::BTreeMap;

#[component]
pub fn AdminPage() -> impl IntoView {
    let auth = use_auth();
    let setup_token = RwSignal::new(
        SessionStore::open()
            .ok()
            .and_then(|s| s.get(SETUP_TOKEN_KEY)),
    );
    let rejected = RwSignal::new(None::<String>);
    // `None`: nothing to try. `Some(None)`: the session cookie.
    let credential = Memo::new(move |_| match setup_token.get() {
        Some(token) => Some(Some(token)),
        None => auth.state.with(|s| s.session().is_some()).then_some(None),
    });
    let who = LocalResource::new(move || {
        let credential = credential.get();
        async move {
            match credential {
                None => None,
                Some(c) => Some(client::whoami(&c).await.map(|who| (who, c))),
            }
        }
    });
    // A rejected setup token is forgotten, so the ID token (if any) gets its turn.
    Effect::new(move || {
        if let Some(Some(Err(ApiError::Unauthenticated(message)))) = who.get() {
            if setup_token.get_untracked().is_some() {
                if let Ok(store) = SessionStore::open() {
                    store.remove(SETUP_TOKEN_KEY);
                }
                setup_token.set(None);
            }
            rejected.set(Some(message));
        }
    });

    view! {
        <main class="page admin-page">
            {move || match who.get() {
                None => view! { <p class="muted">"Checking your access…"</p> }.into_any(),
                Some(None) | Some(Some(Err(ApiError::Unauthenticated(_)))) => {
                    view! { <AdminSignIn setup_token=setup_token rejected=rejected/> }.into_any()
                }
                Some(Some(Err(ApiError::NotAdmin(message)))) => view! {
                    <section class="card" data-testid="not-admin">
                        <h1>"Not an administrator"</h1>
                        <p>"You are signed in, but SSO settings are only for administrators."</p>
                        <p class="muted">{message}</p>
                        <p>"If you should have access, ask an administrator to add you to an admin group at the identity provider, then sign out and in again."</p>
                    </section>
                }.into_any(),
                Some(Some(Err(other))) => view! {
                    <section class="error-panel" role="alert" data-testid="admin-error">
                        <h2 class="error-panel__title">"The admin API is unavailable."</h2>
                        <p>{other.message()}</p>
                    </section>
                }.into_any(),
                Some(Some(Ok((who, credential)))) => {
                    let via = if who.via == "setup_token" {
                        "setup token".to_string()
                    } else {
                        who.name.or(who.subject).unwrap_or_else(|| "SSO".into())
                    };
                    view! { <SettingsEditor credential=credential via=via/> }.into_any()
                }
            }}
        </main>
    }
}

#[component]
fn AdminSignIn(
    setup_token: RwSignal<Option<String>>,
    rejected: RwSignal<Option<String>>,
) -> impl IntoView {
    let auth = use_auth();
    let typed = RwSignal::new(String::new());
    let signed_in = move || auth.state.with(|s| s.session().is_some());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let token = typed.get_untracked().trim().to_string();
        if token.is_empty() {
            return;
        }
        if let Ok(store) = SessionStore::open() {
            let _ = store.set(SETUP_TOKEN_KEY, &token);
        }
        rejected.set(None);
        setup_token.set(Some(token));
    };
    view! {
        <section class="card">
            <h1>"SSO settings"</h1>
            {move || rejected.get().map(|m| view! {
                <p class="notice" role="alert" data-testid="admin-rejected">{m}</p>
            })}
            {move || (!signed_in()).then(|| view! {
                <p>"Administrators sign in through SSO. Before SSO works, or to recover from a broken configuration, use the setup token."</p>
                <SignInButton return_to="/admin"/>
            })}
            <form class="admin-form__setup" on:submit=submit>
                <label for="setup-token">"Use setup token"</label>
                <input id="setup-token" type="password" autocomplete="off" data-testid="setup-token-input"
                    prop:value=move || typed.get() on:input=move |ev| typed.set(event_target_value(&ev))/>
                <button type="submit" class="button" data-testid="use-setup-token">"Use setup token"</button>
                <p class="muted">"Printed once by sso-server at its first start (or set with SSO_BOOTSTRAP_TOKEN). It is kept only in this tab."</p>
            </form>
        </section>
    }
}

#[derive(Debug, Clone, PartialEq)]
enum SecretEdit {
    Keep,
    Replace(String),
    Clear,
}

#[derive(Clone, Copy)]
struct Form {
    issuer: RwSignal<String>,
    client_id: RwSignal<String>,
    auth_method: RwSignal<String>,
    groups_claim: RwSignal<String>,
    scopes: RwSignal<String>,
    secret: RwSignal<SecretEdit>,
}

impl Form {
    fn new() -> Self {
        Form {
            issuer: RwSignal::new(String::new()),
            client_id: RwSignal::new(String::new()),
            auth_method: RwSignal::new("pkce".into()),
            groups_claim: RwSignal::new("groups".into()),
            scopes: RwSignal::new(String::new()),
            secret: RwSignal::new(SecretEdit::Keep),
        }
    }

    fn fill(self, doc: &SettingsDocument) {
        let s = &doc.settings;
        self.issuer.set(s.issuer.value.clone().unwrap_or_default());
        self.client_id
            .set(s.client_id.value.clone().unwrap_or_default());
        self.auth_method
            .set(s.auth_method.value.clone().unwrap_or_else(|| "pkce".into()));
        self.groups_claim.set(
            s.groups_claim
                .value
                .clone()
                .unwrap_or_else(|| "groups".into()),
        );
        self.scopes
            .set(s.scopes.value.clone().unwrap_or_default().join(" "));
        self.secret.set(SecretEdit::Keep);
    }

    fn scope_list(self) -> Vec<String> {
        self.scopes
            .get_untracked()
            .split([' ', ','])
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }

    /// The PUT body: fields that differ from `doc` (and are not env-locked), plus the
    /// secret when the admin chose to replace or clear it.
    fn update(self, doc: &SettingsDocument) -> SettingsUpdate {
        let typed = TypedSettings {
            issuer: self.issuer.get_untracked().trim().to_string(),
            client_id: self.client_id.get_untracked().trim().to_string(),
            auth_method: self.auth_method.get_untracked(),
            groups_claim: self.groups_claim.get_untracked().trim().to_string(),
            scopes: self.scope_list(),
        };
        let mut update = SettingsUpdate::changes(&doc.settings, &typed);
        if doc.settings.client_secret.source != Source::Env {
            update.client_secret = match self.secret.get_untracked() {
                SecretEdit::Keep => None,
                SecretEdit::Replace(secret) => Some(Some(secret)),
                SecretEdit::Clear => Some(None),
            };
        }
        update
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Banner {
    Saved(u64),
    Conflict,
    Reloaded(u64),
    Failed(String),
}

#[component]
fn SettingsEditor(credential: Credential, via: String) -> impl IntoView {
    let form = Form::new();
    let doc = RwSignal::new(None::<SettingsDocument>);
    let errors = RwSignal::new(BTreeMap::<String, String>::new());
    let banner = RwSignal::new(None::<Banner>);
    let saving = RwSignal::new(false);
    let audit_refresh = RwSignal::new(0u32);
    let bearer = StoredValue::new(credential);

    spawn_local(async move {
        match client::get_settings(&bearer.get_value()).await {
            Ok(loaded) => {
                form.fill(&loaded);
                doc.set(Some(loaded));
            }
            Err(err) => banner.set(Some(Banner::Failed(err.message()))),
        }
    });

    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(current) = doc.get_untracked() else {
            return;
        };
        let update = form.update(&current);
        saving.set(true);
        spawn_local(async move {
            match client::put_settings(&bearer.get_value(), current.version, &update).await {
                Ok(saved) => {
                    errors.set(BTreeMap::new());
                    form.secret.set(SecretEdit::Keep);
                    banner.set(Some(Banner::Saved(saved.version)));
                    doc.set(Some(saved));
                    audit_refresh.update(|n| *n += 1);
                }
                Err(ApiError::Conflict { .. }) => banner.set(Some(Banner::Conflict)),
                Err(ApiError::Invalid { message, fields }) => {
                    errors.set(fields);
                    banner.set(Some(Banner::Failed(message)));
                }
                Err(other) => banner.set(Some(Banner::Failed(other.message()))),
            }
            saving.set(false);
        });
    };
    // After a conflict: take the newest version as the base, keep what was typed.
    let reload_newest = move |_| {
        spawn_local(async move {
            match client::get_settings(&bearer.get_value()).await {
                Ok(newest) => {
                    banner.set(Some(Banner::Reloaded(newest.version)));
                    doc.set(Some(newest));
                }
                Err(err) => banner.set(Some(Banner::Failed(err.message()))),
            }
        });
    };

    let error_for =
        move |field: &'static str| Signal::derive(move || errors.with(|e| e.get(field).cloned()));
    let saved_value = move |field: &'static str| {
        Signal::derive(move || {
            let reloaded = matches!(banner.get(), Some(Banner::Reloaded(_)));
            let doc = doc.get()?;
            let s = &doc.settings;
            let (saved, typed) = match field {
                "issuer" => (
                    s.issuer.value.clone().unwrap_or_default(),
                    form.issuer.get(),
                ),
                "client_id" => (
                    s.client_id.value.clone().unwrap_or_default(),
                    form.client_id.get(),
                ),
                "groups_claim" => (
                    s.groups_claim.value.clone().unwrap_or_default(),
                    form.groups_claim.get(),
                ),
                "scopes" => (
                    s.scopes.value.clone().unwrap_or_default().join(" "),
                    form.scopes.get(),
                ),
                _ => return None,
            };
            (reloaded && saved != typed.trim()).then_some(saved)
        })
    };
    let locked = move |field: &'static str| {
        Signal::derive(move || {
            doc.with(|d| {
                d.as_ref().and_then(|d| {
                    let s = &d.settings;
                    match field {
                        "issuer" => s.issuer.locked_by(),
                        "client_id" => s.client_id.locked_by(),
                        "auth_method" => s.auth_method.locked_by(),
                        "groups_claim" => s.groups_claim.locked_by(),
                        "scopes" => s.scopes.locked_by(),
                        _ => None,
                    }
                    .map(str::to_string)
                })
            })
        })
    };
    let warnings = move || issuer_warnings(&form.issuer.get(), &form.auth_method.get());

    view! {
        <section class="card admin-form">
            <h1>"SSO settings"</h1>
            <p class="muted">
                "Signed in as " <strong>{via}</strong>
                {move || doc.get().map(|d| format!(" · version {}", d.version))}
            </p>
            {move || banner.get().map(|b| match b {
                Banner::Saved(version) => view! {
                    <p class="notice notice--ok" role="status" data-testid="save-ok">
                        {format!("Saved (version {version}). ")}
                        "To check the new settings, sign out and sign back in through your identity provider."
                    </p>
                }.into_any(),
                Banner::Conflict => view! {
                    <div class="notice" role="alert" data-testid="save-conflict">
                        <p>"Someone else saved the settings after you loaded them. Your typed values are kept."</p>
                        <button type="button" class="button" data-testid="reload-newest" on:click=reload_newest>
                            "Load the newest version (keeps your edits)"
                        </button>
                    </div>
                }.into_any(),
                Banner::Reloaded(version) => view! {
                    <p class="notice" role="status" data-testid="reloaded">
                        {format!("Loaded version {version}. Fields where it differs from what you typed show its value; save to apply yours.")}
                    </p>
                }.into_any(),
                Banner::Failed(message) => view! {
                    <p class="notice notice--error" role="alert" data-testid="save-error">{message}</p>
                }.into_any(),
            })}

            <PresetPicker form=form locked=locked("issuer")/>

            <form on:submit=save novalidate>
                <TextField label="Issuer URL" field="issuer" value=form.issuer locked=locked("issuer")
                    error=error_for("issuer") saved=saved_value("issuer") placeholder="https://idp.example.com"/>
                <ul class="admin-form__warnings">
                    {move || warnings().into_iter().map(|w| view! {
                        <li class="notice" data-testid="issuer-warning">{w}</li>
                    }).collect_view()}
                </ul>
                <TextField label="Client ID" field="client_id" value=form.client_id locked=locked("client_id")
                    error=error_for("client_id") saved=saved_value("client_id") placeholder="0oa1example"/>
                <div class="admin-form__field">
                    <label for="auth_method">"Auth method"</label>
                    <select id="auth_method" data-testid="field-auth_method"
                        prop:disabled=move || locked("auth_method").get().is_some()
                        on:change=move |ev| form.auth_method.set(event_target_value(&ev))
                        prop:value=move || form.auth_method.get()>
                        <option value="pkce">"Authorization code + PKCE (recommended)"</option>
                        <option value="implicit">"Implicit (form_post)"</option>
                    </select>
                    <EnvBadge field="auth_method" locked=locked("auth_method")/>
                    <FieldError error=error_for("auth_method")/>
                </div>
                <SecretField form=form doc=doc error=error_for("client_secret")/>
                <TextField label="Groups claim" field="groups_claim" value=form.groups_claim locked=locked("groups_claim")
                    error=error_for("groups_claim") saved=saved_value("groups_claim") placeholder="groups"/>
                <TextField label="Extra scopes" field="scopes" value=form.scopes locked=locked("scopes")
                    error=error_for("scopes") saved=saved_value("scopes") placeholder="groups offline_access"/>
                <div class="admin-form__actions">
                    <button type="submit" class="button button--primary" data-testid="save"
                        disabled=move || saving.get() || doc.with(Option::is_none)>
                        {move || if saving.get() { "Saving…" } else { "Save" }}
                    </button>
                </div>
            </form>
        </section>
        <RegisterUrls/>
        <ConfigurationCheck form=form/>
        <Sessions credential=bearer.get_value() audit_refresh=audit_refresh/>
        <AuditHistory bearer=bearer.get_value() refresh=audit_refresh/>
    }
}

#[component]
fn TextField(
    label: &'static str,
    field: &'static str,
    value: RwSignal<String>,
    locked: Signal<Option<String>>,
    error: Signal<Option<String>>,
    saved: Signal<Option<String>>,
    placeholder: &'static str,
) -> impl IntoView {
    view! {
        <div class="admin-form__field">
            <label for=field>{label}</label>
            <input id=field type="text" spellcheck="false" autocomplete="off" placeholder=placeholder
                data-testid=format!("field-{field}")
                aria-invalid=move || error.get().is_some().to_string()
                prop:readOnly=move || locked.get().is_some()
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))/>
            <EnvBadge field=field locked=locked/>
            <FieldError error=error/>
            {move || saved.get().map(|s| view! {
                <p class="admin-form__saved" data-testid=format!("saved-{field}")>"Newest saved value: " <code>{s}</code></p>
            })}
        </div>
    }
}

#[component]
fn EnvBadge(field: &'static str, locked: Signal<Option<String>>) -> impl IntoView {
    move || {
        locked.get().map(|var| view! {
            <span class="badge badge--env" data-testid=format!("env-badge-{field}")>{format!("set by {var}")}</span>
        })
    }
}

#[component]
fn FieldError(error: Signal<Option<String>>) -> impl IntoView {
    move || {
        error
            .get()
            .map(|e| view! { <p class="admin-form__error" role="alert">{e}</p> })
    }
}

#[component]
fn SecretField(
    form: Form,
    doc: RwSignal<Option<SettingsDocument>>,
    error: Signal<Option<String>>,
) -> impl IntoView {
    let state = move || doc.with(|d| d.as_ref().map(|d| d.settings.client_secret.clone()));
    view! {
        <div class="admin-form__field">
            <label>"Client secret"</label>
            {move || {
                let Some(secret) = state() else { return ().into_any() };
                if let Some(var) = secret.env_var.clone().filter(|_| secret.source == Source::Env) {
                    return view! {
                        <span data-testid="secret-state">{if secret.set { "set" } else { "not set" }}</span>
                        <span class="badge badge--env" data-testid="env-badge-client_secret">{format!("set by {var}")}</span>
                    }.into_any();
                }
                match form.secret.get() {
                    SecretEdit::Keep => view! {
                        <span data-testid="secret-state">{if secret.set { "set" } else { "not set" }}</span>
                        " "
                        <button type="button" class="button button--small" data-testid="secret-replace"
                            on:click=move |_| form.secret.set(SecretEdit::Replace(String::new()))>
                            {if secret.set { "Replace" } else { "Set" }}
                        </button>
                        {secret.set.then(|| view! {
                            " "
                            <button type="button" class="button button--small" data-testid="secret-clear"
                                on:click=move |_| form.secret.set(SecretEdit::Clear)>"Clear"</button>
                        })}
                        <p class="muted">"Only needed for providers that require a confidential client (Entra \"Web\" platform). It is never shown again."</p>
                    }.into_any(),
                    SecretEdit::Replace(typed) => view! {
                        <input type="password" autocomplete="new-password" data-testid="secret-input"
                            prop:value=typed on:input=move |ev| form.secret.set(SecretEdit::Replace(event_target_value(&ev)))/>
                        " "
                        <button type="button" class="button button--small" on:click=move |_| form.secret.set(SecretEdit::Keep)>"Cancel"</button>
                    }.into_any(),
                    SecretEdit::Clear => view! {
                        <span data-testid="secret-state">"will be cleared on save"</span>
                        " "
                        <button type="button" class="button button--small" on:click=move |_| form.secret.set(SecretEdit::Keep)>"Undo"</button>
                    }.into_any(),
                }
            }}
            <FieldError error=error/>
        </div>
    }
}

#[component]
fn PresetPicker(form: Form, locked: Signal<Option<String>>) -> impl IntoView {
    let preset = RwSignal::new(Preset::detect(&form.issuer.get_untracked()));
    // Follow the loaded issuer until the admin picks a preset themselves.
    let touched = RwSignal::new(false);
    Effect::new(move || {
        let issuer = form.issuer.get();
        if !touched.get_untracked() && !issuer.is_empty() {
            preset.set(Preset::detect(&issuer));
        }
    });
    let inputs = RwSignal::new(BTreeMap::<&'static str, String>::new());
    let problem = RwSignal::new(None::<String>);
    let apply = move || {
        let chosen = preset.get_untracked();
        if chosen == Preset::Generic || locked.get_untracked().is_some() {
            return;
        }
        match chosen.build(|key| inputs.with_untracked(|m| m.get(key).cloned().unwrap_or_default()))
        {
            Ok(issuer) => {
                problem.set(None);
                form.issuer.set(issuer);
                if chosen.requires_pkce() {
                    form.auth_method.set("pkce".into());
                }
            }
            Err(why) => problem.set(Some(why)),
        }
    };
    view! {
        <div class="admin-form__presets">
            <label for="preset">"Identity provider"</label>
            <select id="preset" data-testid="preset-select"
                prop:value=move || preset.get().id()
                on:change=move |ev| {
                    touched.set(true);
                    problem.set(None);
                    if let Some(p) = Preset::from_id(&event_target_value(&ev)) {
                        preset.set(p);
                        if p == Preset::Google { apply(); }
                    }
                }>
                {Preset::ALL.into_iter().map(|p| view! { <option value=p.id()>{p.label()}</option> }).collect_view()}
            </select>
            {move || {
                let chosen = preset.get();
                let fields = if chosen == Preset::Generic { &[][..] } else { chosen.inputs() };
                view! {
                    <ol class="admin-form__steps" data-testid="preset-steps">
                        {chosen.steps().iter().map(|s| view! { <li>{*s}</li> }).collect_view()}
                    </ol>
                    <div class="admin-form__preset-inputs">
                        {fields.iter().map(|input| {
                            let key = input.key;
                            view! {
                                <label>
                                    {input.label}
                                    <input type="text" spellcheck="false" placeholder=input.placeholder
                                        data-testid=format!("preset-{key}")
                                        prop:value=move || inputs.with(|m| m.get(key).cloned().unwrap_or_default())
                                        on:input=move |ev| {
                                            inputs.update(|m| { m.insert(key, event_target_value(&ev)); });
                                            apply();
                                        }/>
                                </label>
                            }
                        }).collect_view()}
                    </div>
                }
            }}
            {move || problem.get().map(|p| view! { <p class="admin-form__error" data-testid="preset-problem">{p}</p> })}
        </div>
    }
}

#[component]
fn RegisterUrls() -> impl IntoView {
    let origin = browser::origin().unwrap_or_default();
    view! {
        <section class="card">
            <h2>"Register these with your identity provider"</h2>
            <dl class="identity-card__fields">
                <dt>"Callback (redirect) URL"</dt>
                <dd><CopyValue value=format!("{origin}/oidc/callback") testid="callback-url"/></dd>
                <dt>"Sign-out URL"</dt>
                <dd><CopyValue value=format!("{origin}/logout") testid="logout-url"/></dd>
                <dt>"Scopes to allow"</dt>
                <dd><code>"openid"</code>", "<code>"profile"</code>", "<code>"email"</code></dd>
            </dl>
            <p class="muted">"Add both URLs for every host name this instance is reached at (each is a different origin to the provider), and allow this origin for CORS."</p>
        </section>
    }
}

/// Fetches from the browser as the sign-in will, telling CORS apart from "down".
async fn fetch_for_check(url: &str) -> Fetched {
    match http::get(url, true).await {
        Ok(response) => Fetched::Response {
            status: response.status,
            body: response.body,
        },
        Err(err) => {
            if http::reachable_without_cors(url).await {
                Fetched::CorsBlocked
            } else {
                Fetched::Unreachable(err.0)
            }
        }
    }
}

#[component]
fn ConfigurationCheck(form: Form) -> impl IntoView {
    let results = RwSignal::new(None::<Vec<CheckItem>>);
    let checking = RwSignal::new(false);
    let run = move |_| {
        checking.set(true);
        spawn_local(async move {
            let issuer = form.issuer.get_untracked().trim().to_string();
            let auth_method = form.auth_method.get_untracked();
            let scopes = form.scope_list();
            let origin = browser::origin().unwrap_or_default();
            let items = match check_issuer(&issuer) {
                Err(problem) => vec![CheckItem {
                    id: "issuer",
                    status: Status::Fail,
                    text: format!("The issuer URL {}.", problem.describe()),
                    fix: Some("Enter the issuer as an absolute https URL.".into()),
                }],
                Ok(_) => {
                    let target = CheckTarget {
                        issuer: &issuer,
                        auth_method: &auth_method,
                        extra_scopes: &scopes,
                        origin: &origin,
                    };
                    let (mut items, jwks_uri) =
                        check_discovery(&target, &fetch_for_check(&discovery_url(&issuer)).await);
                    if let Some(jwks_uri) = jwks_uri {
                        items.push(check_jwks(
                            &jwks_uri,
                            &origin,
                            &fetch_for_check(&jwks_uri).await,
                        ));
                    }
                    items
                }
            };
            results.set(Some(items));
            checking.set(false);
        });
    };
    view! {
        <section class="card">
            <h2>"Check configuration"</h2>
            <p class="muted">"Fetches the provider's discovery document and keys from this browser, as sign-in will. Checks what is typed above, saved or not."</p>
            <button type="button" class="button" data-testid="check-config" on:click=run disabled=move || checking.get()>
                {move || if checking.get() { "Checking…" } else { "Check configuration" }}
            </button>
            {move || results.get().map(|items| view! {
                <ul class="checklist" data-testid="check-results">
                    {items.into_iter().map(|i| view! {
                        <li class=format!("checklist__item checklist__item--{}", i.status.id())
                            data-testid="check-item" data-check-id=i.id data-status=i.status.id()>
                            <span class="checklist__status">{i.status.id()}</span>
                            " " {i.text}
                            {i.fix.map(|f| view! { <div class="checklist__fix">"Fix: " {f}</div> })}
                        </li>
                    }).collect_view()}
                </ul>
            })}
        </section>
    }
}

#[component]
fn AuditHistory(bearer: Credential, refresh: RwSignal<u32>) -> impl IntoView {
    let bearer = StoredValue::new(bearer);
    let page = LocalResource::new(move || {
        refresh.track();
        let bearer = bearer.get_value();
        async move { client::audit(&bearer, None).await }
    });
    view! {
        <section class="card">
            <h2>"Audit history"</h2>
            {move || match page.get() {
                None => view! { <p class="muted">"Loading…"</p> }.into_any(),
                Some(Err(err)) => view! { <p class="notice">{err.message()}</p> }.into_any(),
                Some(Ok(AuditPage { entries, .. })) if entries.is_empty() => {
                    view! { <p class="muted" data-testid="audit-empty">"No changes yet."</p> }.into_any()
                }
                Some(Ok(AuditPage { entries, .. })) => view! {
                    <table class="audit" data-testid="audit">
                        <thead><tr><th>"When (UTC)"</th><th>"Who"</th><th>"What"</th><th>"Version"</th></tr></thead>
                        <tbody>
                            {entries.into_iter().map(|e| {
                                let what = e.summary();
                                view! {
                                    <tr data-testid="audit-entry" data-event=e.event.clone()>
                                        <td>{e.at}</td>
                                        <td title=e.actor_id.clone().unwrap_or_default()>{e.actor}</td>
                                        <td>{what}</td>
                                        <td>{e.version}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            }}
        </section>
    }
}

/// The live sessions, each with **Sign out**, and **Sign out everyone else**.
#[component]
fn Sessions(credential: Credential, audit_refresh: RwSignal<u32>) -> impl IntoView {
    let credential = StoredValue::new(credential);
    let refresh = RwSignal::new(0u32);
    let problem = RwSignal::new(None::<String>);
    let list = LocalResource::new(move || {
        refresh.track();
        let credential = credential.get_value();
        async move { client::sessions(&credential).await }
    });
    let after = move |result: Result<(), ApiError>| {
        problem.set(result.err().map(|e| e.message()));
        refresh.update(|n| *n += 1);
        audit_refresh.update(|n| *n += 1);
    };
    let end_one = move |id: i64| {
        spawn_local(async move {
            after(client::end_session(&credential.get_value(), id).await);
        });
    };
    let end_others = move |_| {
        spawn_local(async move {
            after(
                client::end_other_sessions(&credential.get_value())
                    .await
                    .map(|_| ()),
            );
        });
    };
    let now = browser::now_secs();
    let time = move |t: u64| {
        format!(
            "{} ({})",
            browser::local_time(t),
            crate::format::relative_time(t, now)
        )
    };
    view! {
        <section class="card" data-testid="admin-sessions">
            <h2>"Sessions"</h2>
            {move || problem.get().map(|m| view! { <p class="notice notice--error" role="alert">{m}</p> })}
            {move || match list.get() {
                None => view! { <p class="muted">"Loading…"</p> }.into_any(),
                Some(Err(err)) => view! { <p class="notice">{err.message()}</p> }.into_any(),
                Some(Ok(list)) => view! {
                    <table class="audit">
                        <thead><tr><th>"User"</th><th>"Signed in"</th><th>"Last used"</th><th>"Expires"</th><th><span class="visually-hidden">"Actions"</span></th></tr></thead>
                        <tbody>
                            {list.sessions.into_iter().map(|s| {
                                let id = s.id;
                                let label = format!("Sign out {}", s.user);
                                view! {
                                    <tr data-testid="session-row" data-session-user=s.user.clone()>
                                        <td>{s.user.clone()} {s.current.then_some(" (you)")}</td>
                                        <td>{time(s.signed_in_at)}</td>
                                        <td>{time(s.last_used_at)}</td>
                                        <td>{time(s.expires_at)}</td>
                                        <td>
                                            <button type="button" class="button button--small" aria-label=label
                                                data-testid="session-sign-out" on:click=move |_| end_one(id)>
                                                "Sign out"
                                            </button>
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            }}
            <button type="button" class="button" data-testid="sign-out-others" on:click=end_others>
                "Sign out everyone else"
            </button>
        </section>
    }
}
