//! Persistent key/value storage for plugins.
//!
//! [`Storage`] is the contract: namespaced keys holding JSON values, with
//! atomic batches. [`SqliteStorage`] (embedded SQLite, write-ahead log,
//! `synchronous=FULL`, one transaction per write) is the default;
//! [`MemoryStorage`] is for tests. Plugins see their own namespace through
//! [`PluginStorage`], which converts values with serde.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::StorageError;

/// One step of an atomic batch ([`Storage::apply`]).
#[derive(Debug, Clone, PartialEq)]
pub enum StorageOp {
    /// Sets `key` to `value`.
    Set {
        /// The key.
        key: String,
        /// The new value.
        value: Value,
    },
    /// Removes `key` (nothing happens when it is absent).
    Remove {
        /// The key.
        key: String,
    },
}

/// A store of JSON values by namespace and key. A write that returned `Ok`
/// is durable: it survives the process being killed right after.
pub trait Storage: Send + Sync + 'static {
    /// The value of `key` in `namespace`.
    fn get(&self, namespace: &str, key: &str) -> Result<Option<Value>, StorageError>;
    /// Applies a batch of writes to `namespace` atomically: all or none.
    fn apply(&self, namespace: &str, ops: Vec<StorageOp>) -> Result<(), StorageError>;
    /// The keys of `namespace`, sorted.
    fn keys(&self, namespace: &str) -> Result<Vec<String>, StorageError>;

    /// Sets one key.
    fn set(&self, namespace: &str, key: &str, value: Value) -> Result<(), StorageError> {
        self.apply(
            namespace,
            vec![StorageOp::Set {
                key: key.to_owned(),
                value,
            }],
        )
    }

    /// Removes one key; says whether it was there.
    fn remove(&self, namespace: &str, key: &str) -> Result<bool, StorageError> {
        let had = self.get(namespace, key)?.is_some();
        self.apply(
            namespace,
            vec![StorageOp::Remove {
                key: key.to_owned(),
            }],
        )?;
        Ok(had)
    }
}

fn relock<T>(m: &Mutex<T>) -> Result<MutexGuard<'_, T>, StorageError> {
    m.lock().map_err(|_| StorageError::Poisoned)
}

/// An in-memory store, for tests and throwaway bots.
#[derive(Debug, Default)]
pub struct MemoryStorage {
    data: Mutex<BTreeMap<(String, String), Value>>,
}

impl MemoryStorage {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Storage for MemoryStorage {
    fn get(&self, namespace: &str, key: &str) -> Result<Option<Value>, StorageError> {
        let data = relock(&self.data)?;
        Ok(data.get(&(namespace.to_owned(), key.to_owned())).cloned())
    }

    fn apply(&self, namespace: &str, ops: Vec<StorageOp>) -> Result<(), StorageError> {
        let mut data = relock(&self.data)?;
        for op in ops {
            match op {
                StorageOp::Set { key, value } => {
                    data.insert((namespace.to_owned(), key), value);
                }
                StorageOp::Remove { key } => {
                    data.remove(&(namespace.to_owned(), key));
                }
            }
        }
        Ok(())
    }

    fn keys(&self, namespace: &str) -> Result<Vec<String>, StorageError> {
        let data = relock(&self.data)?;
        Ok(data
            .keys()
            .filter(|(ns, _)| ns == namespace)
            .map(|(_, k)| k.clone())
            .collect())
    }
}

/// The default store: one SQLite database file.
///
/// The database runs in write-ahead-log mode with `synchronous=FULL`, and
/// every [`Storage::apply`] is one transaction, so an acknowledged write is
/// on disk and a crash at any point leaves a database that opens cleanly.
#[derive(Debug)]
pub struct SqliteStorage {
    conn: Mutex<Connection>,
}

impl SqliteStorage {
    /// Opens (creating if needed) the database at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StorageError> {
        Self::init(Connection::open(path)?)
    }

    /// A private in-memory database (same code path, nothing on disk).
    pub fn open_in_memory() -> Result<Self, StorageError> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(conn: Connection) -> Result<Self, StorageError> {
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // `journal_mode` answers with the mode in force (`memory` for an
        // in-memory database), so read the row rather than executing.
        let _mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        conn.execute_batch(
            "PRAGMA synchronous=FULL;
             CREATE TABLE IF NOT EXISTS kv (
                 namespace TEXT NOT NULL,
                 key TEXT NOT NULL,
                 value TEXT NOT NULL,
                 PRIMARY KEY (namespace, key)
             ) WITHOUT ROWID;",
        )?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    /// Runs SQLite's `integrity_check`; `Ok(true)` when the database is sound.
    pub fn integrity_check(&self) -> Result<bool, StorageError> {
        let conn = relock(&self.conn)?;
        let verdict: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        Ok(verdict == "ok")
    }
}

impl Storage for SqliteStorage {
    fn get(&self, namespace: &str, key: &str) -> Result<Option<Value>, StorageError> {
        let conn = relock(&self.conn)?;
        let text: Option<String> = conn
            .query_row(
                "SELECT value FROM kv WHERE namespace = ?1 AND key = ?2",
                params![namespace, key],
                |r| r.get(0),
            )
            .optional()?;
        Ok(text.map(|t| serde_json::from_str(&t)).transpose()?)
    }

    fn apply(&self, namespace: &str, ops: Vec<StorageOp>) -> Result<(), StorageError> {
        let mut conn = relock(&self.conn)?;
        let tx = conn.transaction()?;
        for op in ops {
            match op {
                StorageOp::Set { key, value } => {
                    tx.execute(
                        "INSERT INTO kv (namespace, key, value) VALUES (?1, ?2, ?3)
                         ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value",
                        params![namespace, key, serde_json::to_string(&value)?],
                    )?;
                }
                StorageOp::Remove { key } => {
                    tx.execute(
                        "DELETE FROM kv WHERE namespace = ?1 AND key = ?2",
                        params![namespace, key],
                    )?;
                }
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn keys(&self, namespace: &str) -> Result<Vec<String>, StorageError> {
        let conn = relock(&self.conn)?;
        let mut stmt = conn.prepare("SELECT key FROM kv WHERE namespace = ?1 ORDER BY key")?;
        let keys = stmt
            .query_map(params![namespace], |r| r.get(0))?
            .collect::<Result<Vec<String>, _>>()?;
        Ok(keys)
    }
}

/// One plugin's view of the store: its own namespace, typed values.
#[derive(Clone)]
pub struct PluginStorage {
    namespace: String,
    store: Arc<dyn Storage>,
}

impl std::fmt::Debug for PluginStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginStorage")
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

impl PluginStorage {
    /// The view of `namespace` in `store`.
    pub fn new(store: Arc<dyn Storage>, namespace: impl Into<String>) -> Self {
        Self {
            namespace: namespace.into(),
            store,
        }
    }

    /// The value of `key`, converted to `T`.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StorageError> {
        match self.store.get(&self.namespace, key)? {
            Some(v) => Ok(Some(serde_json::from_value(v)?)),
            None => Ok(None),
        }
    }

    /// Sets `key` to `value`.
    pub fn set<T: Serialize + ?Sized>(&self, key: &str, value: &T) -> Result<(), StorageError> {
        self.store
            .set(&self.namespace, key, serde_json::to_value(value)?)
    }

    /// Removes `key`; says whether it was there.
    pub fn remove(&self, key: &str) -> Result<bool, StorageError> {
        self.store.remove(&self.namespace, key)
    }

    /// The keys, sorted.
    pub fn keys(&self) -> Result<Vec<String>, StorageError> {
        self.store.keys(&self.namespace)
    }

    /// Several writes at once, atomically.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use bot_core::storage::{MemoryStorage, PluginStorage};
    /// let s = PluginStorage::new(Arc::new(MemoryStorage::new()), "demo");
    /// s.transaction(|tx| {
    ///     tx.set("a", &1)?;
    ///     tx.set("b", &"two")?;
    ///     Ok(())
    /// })
    /// .unwrap();
    /// assert_eq!(s.get::<i32>("a").unwrap(), Some(1));
    /// ```
    pub fn transaction(
        &self,
        build: impl FnOnce(&mut Batch) -> Result<(), StorageError>,
    ) -> Result<(), StorageError> {
        let mut batch = Batch { ops: Vec::new() };
        build(&mut batch)?;
        self.store.apply(&self.namespace, batch.ops)
    }
}

/// The writes of a [`PluginStorage::transaction`], applied together.
#[derive(Debug)]
pub struct Batch {
    ops: Vec<StorageOp>,
}

impl Batch {
    /// Adds a write of `key`.
    pub fn set<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), StorageError> {
        self.ops.push(StorageOp::Set {
            key: key.to_owned(),
            value: serde_json::to_value(value)?,
        });
        Ok(())
    }

    /// Adds a removal of `key`.
    pub fn remove(&mut self, key: &str) {
        self.ops.push(StorageOp::Remove {
            key: key.to_owned(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exercise(store: Arc<dyn Storage>) {
        let a = PluginStorage::new(store.clone(), "a");
        let b = PluginStorage::new(store, "b");
        assert_eq!(a.get::<u32>("k").unwrap(), None);
        a.set("k", &7u32).unwrap();
        a.set("list", &vec!["x", "y"]).unwrap();
        b.set("k", &"other").unwrap();
        assert_eq!(a.get::<u32>("k").unwrap(), Some(7));
        assert_eq!(b.get::<String>("k").unwrap().as_deref(), Some("other"));
        assert_eq!(a.keys().unwrap(), ["k", "list"]);
        assert!(a.get::<String>("k").is_err(), "wrong type is an error");
        a.transaction(|tx| {
            tx.set("k", &8u32)?;
            tx.remove("list");
            Ok(())
        })
        .unwrap();
        assert_eq!(a.get::<u32>("k").unwrap(), Some(8));
        assert!(a.remove("k").unwrap());
        assert!(!a.remove("k").unwrap());
        assert!(a.keys().unwrap().is_empty());
    }

    #[test]
    fn memory_storage() {
        exercise(Arc::new(MemoryStorage::new()));
    }

    #[test]
    fn sqlite_storage() {
        exercise(Arc::new(SqliteStorage::open_in_memory().unwrap()));
    }
}
