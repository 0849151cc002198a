//! Provider presets: build the issuer URL from what each console shows, with the steps.

/// One input a preset asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PresetInput {
    pub key: &'static str,
    pub label: &'static str,
    pub placeholder: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    Generic,
    Okta,
    Entra,
    Cognito,
    Keycloak,
    Auth0,
    Google,
}

const fn input(key: &'static str, label: &'static str, placeholder: &'static str) -> PresetInput {
    PresetInput {
        key,
        label,
        placeholder,
    }
}

impl Preset {
    pub const ALL: [Preset; 7] = [
        Preset::Okta,
        Preset::Entra,
        Preset::Cognito,
        Preset::Keycloak,
        Preset::Auth0,
        Preset::Google,
        Preset::Generic,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Preset::Generic => "generic",
            Preset::Okta => "okta",
            Preset::Entra => "entra",
            Preset::Cognito => "cognito",
            Preset::Keycloak => "keycloak",
            Preset::Auth0 => "auth0",
            Preset::Google => "google",
        }
    }

    pub fn from_id(id: &str) -> Option<Preset> {
        Preset::ALL.into_iter().find(|p| p.id() == id)
    }

    pub fn label(self) -> &'static str {
        match self {
            Preset::Generic => "Other OpenID Provider",
            Preset::Okta => "Okta",
            Preset::Entra => "Microsoft Entra ID",
            Preset::Cognito => "AWS Cognito",
            Preset::Keycloak => "Keycloak",
            Preset::Auth0 => "Auth0",
            Preset::Google => "Google",
        }
    }

    pub fn inputs(self) -> &'static [PresetInput] {
        const OKTA: [PresetInput; 1] = [input("domain", "Okta domain", "your-company.okta.com")];
        const ENTRA: [PresetInput; 1] = [input(
            "tenant",
            "Directory (tenant) ID",
            "00000000-0000-0000-0000-000000000000",
        )];
        const COGNITO: [PresetInput; 2] = [
            input("region", "AWS region", "us-east-1"),
            input("pool", "User pool ID", "us-east-1_AbCdEfGhI"),
        ];
        const KEYCLOAK: [PresetInput; 2] = [
            input("base", "Keycloak base URL", "https://keycloak.example.com"),
            input("realm", "Realm", "my-realm"),
        ];
        const AUTH0: [PresetInput; 2] = [
            input("tenant", "Tenant", "your-tenant"),
            input("region", "Region (blank for old US tenants)", "us"),
        ];
        const GENERIC: [PresetInput; 1] =
            [input("issuer", "Issuer URL", "https://idp.example.com")];
        match self {
            Preset::Okta => &OKTA,
            Preset::Entra => &ENTRA,
            Preset::Cognito => &COGNITO,
            Preset::Keycloak => &KEYCLOAK,
            Preset::Auth0 => &AUTH0,
            Preset::Google => &[],
            Preset::Generic => &GENERIC,
        }
    }

    /// The steps to follow in the provider's console, 3-5 lines.
    pub fn steps(self) -> &'static [&'static str] {
        match self {
            Preset::Okta => &[
                "Admin Console → Applications → Create App Integration → OIDC – OpenID Connect → Single-Page Application.",
                "Grant type: Authorization Code (PKCE is on for SPAs). Add the sign-in redirect and sign-out URLs below.",
                "Assignments: give the groups who may sign in access. For groups in the token, add a \"groups\" claim (Sign On → OpenID Connect ID Token → Groups claim filter).",
                "Copy the Client ID; the issuer is your Okta domain.",
            ],
            Preset::Entra => &[
                "Entra admin center → App registrations → New registration; platform \"Single-page application\" with the redirect URI below.",
                "Token configuration → Add groups claim (Security groups) so the ID token carries groups.",
                "Copy the Application (client) ID and the Directory (tenant) ID from Overview.",
                "Users in more than 200 groups get an \"overage\" marker instead of groups; assign groups to the app to avoid it.",
            ],
            Preset::Cognito => &[
                "Cognito console → User pools → your pool → App integration → App clients → Create app client: \"Public client\", no client secret.",
                "Hosted UI: add the callback and sign-out URLs below; OAuth grant type \"Authorization code grant\"; scopes openid, profile, email.",
                "Copy the User pool ID (it starts with the region) and the region here. Use the issuer below, not the Cognito domain.",
                "Cognito only supports the authorization code flow here: keep the auth method on PKCE. Groups arrive as cognito:groups.",
            ],
            Preset::Keycloak => &[
                "Admin console → your realm → Clients → Create client: OpenID Connect, Client authentication OFF (public), Standard flow ON.",
                "Valid redirect URIs and post-logout redirect URIs: the URLs below; Web origins: this site's origin (for CORS).",
                "Advanced → Proof Key for Code Exchange: S256.",
                "For groups: Client scopes → the dedicated scope → Add mapper \"Group Membership\", token claim name \"groups\".",
            ],
            Preset::Auth0 => &[
                "Dashboard → Applications → Create Application → Single Page Web Applications.",
                "Settings: Allowed Callback URLs, Allowed Logout URLs and Allowed Web Origins: the URLs below and this origin.",
                "Copy the Domain (TENANT.REGION.auth0.com) and Client ID. Auth0's issuer ends with a slash.",
                "Groups need an Action that adds a namespaced claim; set the groups claim name to match it.",
            ],
            Preset::Google => &[
                "Google Cloud console → APIs & Services → Credentials → Create credentials → OAuth client ID → Web application.",
                "Authorised JavaScript origins: this origin. Authorised redirect URIs: the callback URL below.",
                "Copy the Client ID. Google does not put groups in ID tokens.",
            ],
            Preset::Generic => &[
                "Register a public (single-page) OpenID Connect client with the authorization code flow and PKCE (S256).",
                "Add the callback and sign-out URLs below, and allow this origin for CORS.",
                "Enter the issuer exactly as the provider's discovery document states it (trailing slash included).",
            ],
        }
    }

    /// The provider only works with the authorization code flow in this product.
    pub fn requires_pkce(self) -> bool {
        self == Preset::Cognito
    }

    /// The issuer from the preset's inputs (`value(key)` returns what the admin typed).
    pub fn build(self, value: impl Fn(&str) -> String) -> Result<String, String> {
        let required = |key: &str, label: &str| {
            let v = value(key).trim().to_string();
            if v.is_empty() {
                Err(format!("{label} is required."))
            } else {
                Ok(v)
            }
        };
        match self {
            Preset::Google => Ok("https://accounts.google.com".into()),
            Preset::Generic => required("issuer", "The issuer URL"),
            Preset::Okta => {
                let domain = required("domain", "The Okta domain")?;
                let domain = strip_scheme(&domain).trim_end_matches('/');
                if domain.contains('/') {
                    // A custom authorization server: https://x.okta.com/oauth2/default
                    return Ok(format!("https://{domain}"));
                }
                if domain.contains('.') {
                    Ok(format!("https://{domain}"))
                } else {
                    Ok(format!("https://{domain}.okta.com"))
                }
            }
            Preset::Entra => {
                let tenant = required("tenant", "The tenant ID")?;
                if ["common", "organizations", "consumers"]
                    .contains(&tenant.to_lowercase().as_str())
                {
                    return Err(format!(
                        "\"{tenant}\" is a multi-tenant endpoint whose tokens carry each user's own tenant as issuer; use your Directory (tenant) ID."
                    ));
                }
                if tenant.contains('/') || tenant.contains(' ') {
                    return Err("The tenant ID is a GUID (or a domain such as contoso.onmicrosoft.com), not a URL.".into());
                }
                Ok(format!("https://login.microsoftonline.com/{tenant}/v2.0"))
            }
            Preset::Cognito => {
                let region = required("region", "The AWS region")?;
                let pool = required("pool", "The user pool ID")?;
                if !is_aws_region(&region) {
                    return Err(format!(
                        "\"{region}\" does not look like an AWS region such as us-east-1."
                    ));
                }
                match pool.split_once('_') {
                    Some((pool_region, id))
                        if pool_region == region && !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric()) =>
                    {
                        Ok(format!("https://cognito-idp.{region}.amazonaws.com/{pool}"))
                    }
                    Some((pool_region, _)) if pool_region != region => Err(format!(
                        "The user pool ID starts with {pool_region}, but the region is {region}; they must match."
                    )),
                    _ => Err(format!(
                        "\"{pool}\" is not a user pool ID; it looks like {region}_AbCdEfGhI (see the pool's Overview)."
                    )),
                }
            }
            Preset::Keycloak => {
                let base = required("base", "The Keycloak base URL")?;
                let realm = required("realm", "The realm")?;
                let base = base.trim_end_matches('/');
                if !base.starts_with("https://") && !base.starts_with("http://") {
                    return Err("The base URL must start with https://.".into());
                }
                if base.contains("/realms/") {
                    return Err(
                        "Enter the base URL without /realms/…; the realm goes in its own field."
                            .into(),
                    );
                }
                Ok(format!("{base}/realms/{realm}"))
            }
            Preset::Auth0 => {
                let tenant = required("tenant", "The tenant")?;
                let tenant = strip_scheme(&tenant).trim_end_matches('/');
                if tenant.ends_with(".auth0.com") {
                    return Ok(format!("https://{tenant}/"));
                }
                let region = value("region").trim().to_lowercase();
                Ok(if region.is_empty() {
                    format!("https://{tenant}.auth0.com/")
                } else {
                    format!("https://{tenant}.{region}.auth0.com/")
                })
            }
        }
    }

    /// The preset an existing issuer most likely came from, to open the right form.
    pub fn detect(issuer: &str) -> Preset {
        let host = strip_scheme(issuer).split('/').next().unwrap_or_default();
        if host.ends_with(".okta.com") || host.ends_with(".oktapreview.com") {
            Preset::Okta
        } else if host == "login.microsoftonline.com" {
            Preset::Entra
        } else if host.starts_with("cognito-idp.") && host.ends_with(".amazonaws.com") {
            Preset::Cognito
        } else if issuer.contains("/realms/") {
            Preset::Keycloak
        } else if host.ends_with(".auth0.com") {
            Preset::Auth0
        } else if host == "accounts.google.com" {
            Preset::Google
        } else {
            Preset::Generic
        }
    }
}

fn strip_scheme(text: &str) -> &str {
    text.strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
        .unwrap_or(text)
}

fn is_aws_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| p.chars().all(|c| c.is_ascii_digit()))
}

/// Mistakes worth a warning next to the issuer field, whatever preset is open.
pub fn issuer_warnings(issuer: &str, auth_method: &str) -> Vec<String> {
    let mut warnings = Vec::new();
    let host = strip_scheme(issuer).split('/').next().unwrap_or_default();
    if host.ends_with(".amazoncognito.com") {
        warnings.push(
            "This is a Cognito domain (the hosted UI), not the issuer. The issuer is https://cognito-idp.REGION.amazonaws.com/POOL_ID; use the AWS Cognito preset.".into(),
        );
    }
    if Preset::detect(issuer).requires_pkce() && auth_method == "implicit" {
        warnings.push(
            "AWS Cognito needs the PKCE auth method here; the implicit flow will fail.".into(),
        );
    }
    if host.ends_with(".auth0.com") && !issuer.ends_with('/') {
        warnings.push("Auth0 issuers end with a slash: add the trailing /.".into());
    }
    if host == "login.microsoftonline.com" && !issuer.trim_end_matches('/').ends_with("/v2.0") {
        warnings
            .push("Entra ID v2 issuers end with /v2.0; tokens will not match otherwise.".into());
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn build(preset: Preset, pairs: &[(&str, &str)]) -> Result<String, String> {
        let map: HashMap<&str, &str> = pairs.iter().copied().collect();
        preset.build(|k| map.get(k).copied().unwrap_or_default().to_string())
    }

    #[test]
    fn each_preset_builds_its_issuer() {
        assert_eq!(
            build(Preset::Okta, &[("domain", "acme")]).unwrap(),
            "https://acme.okta.com"
        );
        assert_eq!(
            build(Preset::Okta, &[("domain", "https://acme.okta.com/")]).unwrap(),
            "https://acme.okta.com"
        );
        assert_eq!(
            build(Preset::Okta, &[("domain", "acme.okta.com/oauth2/default")]).unwrap(),
            "https://acme.okta.com/oauth2/default"
        );
        assert_eq!(
            build(
                Preset::Entra,
                &[("tenant", "9188040d-6c67-4c5b-b112-36a304b66dad")]
            )
            .unwrap(),
            "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0"
        );
        assert_eq!(
            build(
                Preset::Cognito,
                &[("region", "eu-west-1"), ("pool", "eu-west-1_AbC123")]
            )
            .unwrap(),
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"
        );
        assert_eq!(
            build(
                Preset::Keycloak,
                &[("base", "https://kc.example.com/"), ("realm", "ml")]
            )
            .unwrap(),
            "https://kc.example.com/realms/ml"
        );
        assert_eq!(
            build(Preset::Auth0, &[("tenant", "acme"), ("region", "eu")]).unwrap(),
            "https://acme.eu.auth0.com/"
        );
        assert_eq!(
            build(Preset::Auth0, &[("tenant", "acme")]).unwrap(),
            "https://acme.auth0.com/"
        );
        assert_eq!(
            build(Preset::Google, &[]).unwrap(),
            "https://accounts.google.com"
        );
        assert_eq!(
            build(Preset::Generic, &[("issuer", " http://127.0.0.1:9400 ")]).unwrap(),
            "http://127.0.0.1:9400"
        );
    }

    #[test]
    fn bad_inputs_are_named() {
        assert!(build(Preset::Okta, &[])
            .unwrap_err()
            .contains("Okta domain"));
        assert!(build(Preset::Entra, &[("tenant", "common")])
            .unwrap_err()
            .contains("multi-tenant"));
        assert!(build(
            Preset::Cognito,
            &[("region", "us-east-1"), ("pool", "eu-west-1_X")]
        )
        .unwrap_err()
        .contains("must match"));
        assert!(
            build(Preset::Cognito, &[("region", "useast"), ("pool", "x")])
                .unwrap_err()
                .contains("region")
        );
        assert!(
            build(Preset::Cognito, &[("region", "us-east-1"), ("pool", "abc")])
                .unwrap_err()
                .contains("not a user pool ID")
        );
        assert!(build(
            Preset::Keycloak,
            &[("base", "https://kc/realms/x"), ("realm", "x")]
        )
        .unwrap_err()
        .contains("without /realms/"));
    }

    #[test]
    fn detects_the_preset_of_an_issuer() {
        assert_eq!(Preset::detect("https://acme.okta.com"), Preset::Okta);
        assert_eq!(
            Preset::detect("https://login.microsoftonline.com/t/v2.0"),
            Preset::Entra
        );
        assert_eq!(
            Preset::detect("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_X"),
            Preset::Cognito
        );
        assert_eq!(
            Preset::detect("https://kc.example.com/realms/ml"),
            Preset::Keycloak
        );
        assert_eq!(Preset::detect("https://acme.auth0.com/"), Preset::Auth0);
        assert_eq!(
            Preset::detect("https://accounts.google.com"),
            Preset::Google
        );
        assert_eq!(Preset::detect("http://127.0.0.1:9400"), Preset::Generic);
        for preset in Preset::ALL {
            assert_eq!(Preset::from_id(preset.id()), Some(preset));
            assert!((3..=5).contains(&preset.steps().len()), "{preset:?}");
        }
    }

    #[test]
    fn warns_about_cognito_domain_and_implicit() {
        let w = issuer_warnings("https://acme.auth.us-east-1.amazoncognito.com", "pkce");
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("Cognito domain"));
        let w = issuer_warnings(
            "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_X",
            "implicit",
        );
        assert!(w[0].contains("PKCE"));
        assert!(issuer_warnings("https://acme.auth0.com", "pkce")[0].contains("slash"));
        assert!(issuer_warnings("https://acme.okta.com", "pkce").is_empty());
    }
}
