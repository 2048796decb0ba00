//! Windows: the values of `HKEY_LOCAL_MACHINE\SOFTWARE\remote-message\<binary>`
//! (the 64-bit view), each named like a settings key: where the .msi writes
//! its properties (`NATS_URL` → `server`, …) and where Group Policy
//! preferences can write. A string is a value (an empty one is not set), a
//! multi-string a list, a number a number; other types are refused, naming
//! the value.

use super::Source;
use crate::config::{ConfigError, ConfigErrorKind};
use std::path::PathBuf;
use windows_registry::{Type, Value, LOCAL_MACHINE};

/// The key under `HKEY_LOCAL_MACHINE`.
fn key_path(binary: &str) -> String {
    format!(r"SOFTWARE\remote-message\{binary}")
}

pub(super) fn place(binary: &str) -> PathBuf {
    PathBuf::from(format!(r"HKEY_LOCAL_MACHINE\{}", key_path(binary)))
}

pub(super) fn read(binary: &str) -> Result<Option<Source>, ConfigError> {
    // No key (nothing installed, nothing set): no system-wide settings.
    let Ok(key) = LOCAL_MACHINE.open(key_path(binary)) else {
        return Ok(None);
    };
    let unreadable = |cause: String| {
        ConfigError::with_context(
            ConfigErrorKind::Unreadable,
            format!("cannot read {}: {cause}", place(binary).display()),
        )
    };
    let mut table = toml::Table::new();
    for (name, value) in key.values().map_err(|e| unreadable(e.to_string()))? {
        if let Some(value) = toml_value(value).map_err(|ty| {
            unreadable(format!(
                "value {name} is of type {ty:?}: use a string (REG_SZ), a list \
                 (REG_MULTI_SZ) or a number (REG_DWORD)"
            ))
        })? {
            table.insert(name, value);
        }
    }
    Ok(Some(Source {
        place: place(binary),
        text: String::new(),
        table,
    }))
}

/// A registry value as the settings value it stands for; `None` for an
/// empty string (an MSI property left unset writes one).
fn toml_value(value: Value) -> Result<Option<toml::Value>, Type> {
    let ty = value.ty();
    Ok(match ty {
        Type::String | Type::ExpandString => {
            let text = String::try_from(value).map_err(|_| ty)?;
            (!text.is_empty()).then_some(toml::Value::String(text))
        }
        Type::MultiString => {
            let items = Vec::<String>::try_from(value).map_err(|_| ty)?;
            Some(toml::Value::Array(
                items.into_iter().map(toml::Value::String).collect(),
            ))
        }
        Type::U32 => Some(toml::Value::Integer(
            u32::try_from(value).map_err(|_| ty)?.into(),
        )),
        _ => return Err(ty),
    })
}
