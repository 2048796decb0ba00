//! The language people read: English, Spanish or French, chosen with
//! `--lang` (or `REMOTE_MESSAGE_LANG`, or `lang` in a settings file), else the
//! OS's (`LANGUAGE`, `LC_ALL`, `LC_MESSAGES`, `LANG` on Linux; the platform
//! API on Windows and macOS, through `sys-locale`), else English.
//!
//! Each crate keeps the texts it shows in its own Fluent catalogue
//! (`i18n/<lang>/<crate>.ftl`, embedded in the binary) and looks them up with
//! `fl!`, which checks keys and arguments against English at compile time.
//! This module holds what they share: [`Lang`], the option, loading a
//! catalogue for one language ([`load`]), and [`check_catalogue`], the test
//! that every language has every key, with the same variables.
//!
//! Only what a person reads is translated. Logs, JSON output and the wire
//! stay English and stable, whatever the language.
//!
//! Errors are texts too: [`errors`] is the language this process builds its
//! error messages in, English unless the binary calls [`choose_errors`] (the
//! publisher does; the agent's errors are log lines and stay English).

use fluent_syntax::ast;
use i18n_embed::fluent::FluentLanguageLoader;
use i18n_embed::{I18nAssets, LanguageLoader};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A language the binaries speak.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Lang {
    /// English, also for any language not below.
    #[default]
    En,
    /// Spanish.
    Es,
    /// French.
    Fr,
}

impl Lang {
    /// Every language, English (the fallback) first.
    pub const ALL: [Lang; 3] = [Lang::En, Lang::Es, Lang::Fr];

    /// Its code, as `--lang` takes it and as its catalogue folder is named.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
            Lang::Fr => "fr",
        }
    }

    /// The language of a locale name such as `es-MX`, `fr_CA.UTF-8`,
    /// `fr_FR@euro` or `C`: `None` when it is none of ours.
    pub fn of_locale(locale: &str) -> Option<Lang> {
        let primary = locale
            .split(['-', '_', '.', '@', ':'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        Lang::ALL.into_iter().find(|lang| lang.code() == primary)
    }

    /// The OS's language, English when it is none of ours (or `C`).
    pub fn of_os() -> Lang {
        sys_locale::get_locale()
            .and_then(|locale| Lang::of_locale(&locale))
            .unwrap_or_default()
    }
}

/// The `--lang` option, flattened into both command lines.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct LangArgs {
    /// Language of what is shown to people (notifications, the terminal block,
    /// reports and errors); default: the OS's, English if it is not Spanish or
    /// French. Logs and JSON stay English
    #[arg(
        long,
        value_enum,
        value_name = "LANG",
        env = "REMOTE_MESSAGE_LANG",
        global = true
    )]
    pub lang: Option<Lang>,
}

impl LangArgs {
    /// `--lang` if given, else the OS's language.
    pub fn resolve(&self) -> Lang {
        self.lang.unwrap_or_else(Lang::of_os)
    }
}

/// The language of this process' error messages, as an index in [`Lang::ALL`].
static ERRORS: AtomicUsize = AtomicUsize::new(0);

/// Sets the language error messages are built in from now on: `lang` when
/// they are shown to a person, English when stderr is read by a program
/// (`--log-format json`). The one place that decides it; a binary that never
/// calls it keeps English errors.
pub fn choose_errors(lang: Lang, log_format: crate::logging::LogFormat) -> Lang {
    let chosen = match log_format {
        crate::logging::LogFormat::Text => lang,
        crate::logging::LogFormat::Json => Lang::En,
    };
    let index = Lang::ALL.iter().position(|l| *l == chosen).unwrap_or(0);
    ERRORS.store(index, Ordering::Relaxed);
    chosen
}

// [`errors_in`]'s language, on this thread only. The initializer is const:
// clippy for windows-gnu (emulated TLS) says it is not, wrongly.
thread_local! {
    #[allow(clippy::missing_const_for_thread_local)]
    static ERRORS_HERE: std::cell::Cell<Option<Lang>> = const { std::cell::Cell::new(None) };
}

/// The language error messages are built in: English until [`choose_errors`]
/// (or [`errors_in`]'s, inside it).
pub fn errors() -> Lang {
    ERRORS_HERE
        .get()
        .unwrap_or_else(|| Lang::ALL[ERRORS.load(Ordering::Relaxed)])
}

/// Runs `f` with this thread's error messages built in `lang`, whatever the
/// process chose: for tests, which share a process and run side by side.
pub fn errors_in<T>(lang: Lang, f: impl FnOnce() -> T) -> T {
    let before = ERRORS_HERE.replace(Some(lang));
    let out = f();
    ERRORS_HERE.set(before);
    out
}

/// Loads `lang` (and English for anything it lacks) from a crate's
/// catalogue into `loader`, a fresh `fluent_language_loader!()` of that
/// crate. Placeables are not wrapped in Unicode isolation marks: the text
/// goes to terminals and notifications, which would show them.
pub fn load(loader: &FluentLanguageLoader, assets: &dyn I18nAssets, lang: Lang) {
    let id = lang
        .code()
        .parse()
        .expect("a language code is a language id");
    loader
        .load_languages(assets, &[id])
        .expect("every language's catalogue is embedded (check_catalogue tests it)");
    loader.set_use_isolating(false);
}

/// A crate's catalogue: its `i18n/` folder embedded, one loader per
/// language (made on first use), `pub fn loader(Lang)` for `fl!`, and the
/// test that every language has every key with the same variables. Invoked
/// once, in the crate's `i18n` module; the crate depends on `i18n-embed` and
/// `rust-embed` and has an `i18n.toml` next to its Cargo.toml.
#[macro_export]
macro_rules! catalogue {
    () => {
        /// The crate's `i18n/<lang>/<crate>.ftl` files, in the binary.
        #[derive(rust_embed::RustEmbed)]
        #[folder = "i18n/"]
        struct Catalogue;

        static LOADERS: [std::sync::LazyLock<i18n_embed::fluent::FluentLanguageLoader>; 3] = [
            std::sync::LazyLock::new(|| load($crate::lang::Lang::En)),
            std::sync::LazyLock::new(|| load($crate::lang::Lang::Es)),
            std::sync::LazyLock::new(|| load($crate::lang::Lang::Fr)),
        ];

        fn load(lang: $crate::lang::Lang) -> i18n_embed::fluent::FluentLanguageLoader {
            let loader = i18n_embed::fluent::fluent_language_loader!();
            $crate::lang::load(&loader, &Catalogue, lang);
            loader
        }

        /// The texts in `lang`, for `fl!`.
        pub fn loader(
            lang: $crate::lang::Lang,
        ) -> &'static i18n_embed::fluent::FluentLanguageLoader {
            let index = $crate::lang::Lang::ALL
                .iter()
                .position(|l| *l == lang)
                .expect("every language has a loader");
            &LOADERS[index]
        }

        #[cfg(test)]
        mod catalogue_tests {
            /// Spanish and French have every English key, with the same
            /// variables, and no key English lacks.
            #[test]
            fn every_language_has_every_key() {
                let domain = env!("CARGO_PKG_NAME");
                if let Err(problems) = $crate::lang::check_catalogue(&super::Catalogue, domain) {
                    panic!("{domain}'s catalogue:\n{problems}");
                }
            }
        }
    };
}

/// Why a catalogue is incomplete: one line per key missing from a language,
/// or whose variables differ from English's. Each crate's test calls this on
/// its embedded catalogue.
pub fn check_catalogue(assets: &dyn I18nAssets, domain: &str) -> Result<(), String> {
    let mut by_lang = BTreeMap::new();
    for lang in Lang::ALL {
        let path = format!("{}/{domain}.ftl", lang.code());
        let files = assets.get_files(&path);
        let file = files
            .first()
            .ok_or_else(|| format!("{path}: missing from the catalogue"))?;
        let text = std::str::from_utf8(file).map_err(|e| format!("{path}: {e}"))?;
        let resource = fluent_syntax::parser::parse(text)
            .map_err(|(_, errors)| format!("{path}: {errors:?}"))?;
        by_lang.insert(lang, messages(&resource));
    }
    let english = &by_lang[&Lang::En];
    let mut problems = Vec::new();
    for (lang, messages) in &by_lang {
        for (key, variables) in english {
            match messages.get(key) {
                None => problems.push(format!("{}: no {key}", lang.code())),
                Some(v) if v != variables => problems.push(format!(
                    "{}: {key} has variables {v:?}, English {variables:?}",
                    lang.code()
                )),
                Some(_) => {}
            }
        }
        for key in messages.keys().filter(|k| !english.contains_key(*k)) {
            problems.push(format!("{}: {key} is not in English", lang.code()));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

/// Each message of a catalogue, with the variables it uses.
fn messages(resource: &ast::Resource<&str>) -> BTreeMap<String, BTreeSet<String>> {
    let mut out = BTreeMap::new();
    for entry in &resource.body {
        if let ast::Entry::Message(message) = entry {
            let mut variables = BTreeSet::new();
            if let Some(pattern) = &message.value {
                pattern_variables(pattern, &mut variables);
            }
            for attribute in &message.attributes {
                pattern_variables(&attribute.value, &mut variables);
            }
            out.insert(message.id.name.to_owned(), variables);
        }
    }
    out
}

fn pattern_variables(pattern: &ast::Pattern<&str>, out: &mut BTreeSet<String>) {
    for element in &pattern.elements {
        if let ast::PatternElement::Placeable { expression } = element {
            expression_variables(expression, out);
        }
    }
}

fn expression_variables(expression: &ast::Expression<&str>, out: &mut BTreeSet<String>) {
    match expression {
        ast::Expression::Select { selector, variants } => {
            inline_variables(selector, out);
            for variant in variants {
                pattern_variables(&variant.value, out);
            }
        }
        ast::Expression::Inline(inline) => inline_variables(inline, out),
    }
}

fn inline_variables(inline: &ast::InlineExpression<&str>, out: &mut BTreeSet<String>) {
    match inline {
        ast::InlineExpression::VariableReference { id } => {
            out.insert(id.name.to_owned());
        }
        ast::InlineExpression::FunctionReference { arguments, .. } => {
            for argument in &arguments.positional {
                inline_variables(argument, out);
            }
            for named in &arguments.named {
                inline_variables(&named.value, out);
            }
        }
        ast::InlineExpression::Placeable { expression } => expression_variables(expression, out),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    /// Locale names as the OSes write them map to our languages; anything
    /// else (C, POSIX, German, an empty value) is none of ours.
    #[test]
    fn locale_names_map_to_languages() {
        for (locale, lang) in [
            ("es-MX", Some(Lang::Es)),
            ("es_ES.UTF-8", Some(Lang::Es)),
            ("fr_CA.UTF-8", Some(Lang::Fr)),
            ("fr_FR@euro", Some(Lang::Fr)),
            ("FR", Some(Lang::Fr)),
            ("en-US", Some(Lang::En)),
            ("C", None),
            ("C.UTF-8", None),
            ("POSIX", None),
            ("de_DE.UTF-8", None),
            ("fry", None),
            ("", None),
        ] {
            assert_eq!(Lang::of_locale(locale), lang, "{locale}");
        }
    }

    /// `--lang` takes exactly en, es and fr, and wins over the OS.
    #[test]
    fn lang_option_takes_the_three_codes() {
        #[derive(Parser)]
        struct Toy {
            #[command(flatten)]
            lang: LangArgs,
        }
        let parse = |args: &[&str]| Toy::try_parse_from(args).map(|t| t.lang);
        for lang in Lang::ALL {
            let parsed = parse(&["toy", "--lang", lang.code()]).unwrap();
            assert_eq!(parsed.resolve(), lang);
        }
        assert!(parse(&["toy", "--lang", "de"]).is_err());
        assert!(parse(&["toy", "--lang", "es-MX"]).is_err());
    }

    /// The catalogue check finds a missing key, an extra key and a message
    /// whose variables differ, and passes a complete catalogue.
    #[test]
    fn catalogue_check_finds_gaps() {
        struct Files(BTreeMap<String, String>);
        impl I18nAssets for Files {
            fn get_files(&self, path: &str) -> Vec<std::borrow::Cow<'_, [u8]>> {
                self.0
                    .get(path)
                    .map(|t| vec![t.as_bytes().into()])
                    .unwrap_or_default()
            }
            fn filenames_iter(&self) -> Box<dyn Iterator<Item = String> + '_> {
                Box::new(self.0.keys().cloned())
            }
        }
        let files = |en: &str, es: &str, fr: &str| {
            Files(BTreeMap::from([
                ("en/toy.ftl".to_owned(), en.to_owned()),
                ("es/toy.ftl".to_owned(), es.to_owned()),
                ("fr/toy.ftl".to_owned(), fr.to_owned()),
            ]))
        };
        let en = "hello = Hello { $name }\nbye = Bye\n";
        let complete = files(
            en,
            "hello = Hola { $name }\nbye = Adiós\n",
            "hello = Bonjour { $name }\nbye = Au revoir\n",
        );
        assert_eq!(check_catalogue(&complete, "toy"), Ok(()));

        let gaps = files(
            en,
            "hello = Hola\nbye = Adiós\n",
            "hello = Bonjour { $name }\nextra = x\n",
        );
        let problems = check_catalogue(&gaps, "toy").unwrap_err();
        assert!(problems.contains("es: hello has variables"), "{problems}");
        assert!(problems.contains("fr: no bye"), "{problems}");
        assert!(
            problems.contains("fr: extra is not in English"),
            "{problems}"
        );
        assert!(!problems.contains("en:"), "{problems}");
    }
}
