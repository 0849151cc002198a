//! Provider presets: build the issuer from what each console shows, with the steps to follow
//! there.

use super::form::Form;
use crate::admin::presets::Preset;
use crate::contract::config::AuthMethod;
use crate::contract::settings::{AUTH_METHOD, ISSUER};
use leptos::prelude::*;
use std::collections::BTreeMap;

#[component]
pub fn PresetPicker(form: Form, locked: Signal<Option<String>>) -> impl IntoView {
    let issuer = form.input(&ISSUER);
    let preset = RwSignal::new(Preset::detect(&issuer.get_untracked()));
    // Follow the loaded issuer until the admin picks a preset themselves.
    let touched = RwSignal::new(false);
    Effect::new(move || {
        let issuer = issuer.get();
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
                form.input(&ISSUER).set(issuer);
                if chosen.requires_pkce() {
                    form.input(&AUTH_METHOD)
                        .set(AuthMethod::Pkce.as_str().into());
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
