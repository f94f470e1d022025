//! What the migrations build their tables from, so that each one reads as its tables' columns.
//!
//! Every helper makes the very statement the migrations used to spell out (the same columns,
//! foreign keys and indexes, in the same order): databases that already ran them must get the
//! same schema from a fresh run, on SQLite and PostgreSQL alike.

use sea_orm_migration::{prelude::*, schema::*};

/// A point in time with its time zone; the kind of every `…_at` and `…_until` column.
pub fn timestamptz<T: IntoIden>(col: T) -> ColumnDef {
    timestamp_with_time_zone(col)
}

/// [`timestamptz`] that may be NULL.
pub fn timestamptz_null<T: IntoIden>(col: T) -> ColumnDef {
    timestamp_with_time_zone_null(col)
}

/// A table to create: its columns, then its foreign keys, then the indexes made right after it.
pub struct NewTable {
    name: DynIden,
    statement: TableCreateStatement,
    indexes: Vec<IndexCreateStatement>,
}

/// The table `name` with `columns`, in that order.
pub fn table<T: IntoIden>(name: T, columns: impl IntoIterator<Item = ColumnDef>) -> NewTable {
    let name = name.into_iden();
    let mut statement = Table::create();
    statement.table(name.clone());
    for column in columns {
        statement.col(column);
    }
    NewTable {
        name,
        statement,
        indexes: Vec::new(),
    }
}

impl NewTable {
    /// `column` refers to `to`'s `to_column` (no ON DELETE or ON UPDATE action).
    pub fn foreign_key(
        mut self,
        column: impl IntoIden,
        to: impl IntoIden,
        to_column: impl IntoIden,
    ) -> Self {
        self.statement.foreign_key(
            ForeignKey::create()
                .from(self.name.clone(), column.into_iden())
                .to(to.into_iden(), to_column.into_iden()),
        );
        self
    }

    /// `column` refers to the location the row belongs to.
    pub fn location_fk(self, column: impl IntoIden) -> Self {
        self.foreign_key(column, Alias::new("locations"), Alias::new("id"))
    }

    /// An index `name` on `columns`, in that order.
    pub fn index<C: IntoIden>(self, name: &str, columns: impl IntoIterator<Item = C>) -> Self {
        self.with_index(name, columns, false)
    }

    /// A unique index `name` on `columns`, in that order.
    pub fn unique_index<C: IntoIden>(
        self,
        name: &str,
        columns: impl IntoIterator<Item = C>,
    ) -> Self {
        self.with_index(name, columns, true)
    }

    fn with_index<C: IntoIden>(
        mut self,
        name: &str,
        columns: impl IntoIterator<Item = C>,
        unique: bool,
    ) -> Self {
        let mut index = Index::create();
        index.name(name).table(self.name.clone());
        for column in columns {
            index.col(column);
        }
        if unique {
            index.unique();
        }
        self.indexes.push(index);
        self
    }

    /// Creates the table, then its indexes in the order they were named.
    pub async fn create(self, manager: &SchemaManager<'_>) -> Result<(), DbErr> {
        manager.create_table(self.statement).await?;
        for index in self.indexes {
            manager.create_index(index).await?;
        }
        Ok(())
    }
}

/// Drops `tables`, in that order (the ones that refer to others first).
pub async fn drop_tables(
    manager: &SchemaManager<'_>,
    tables: impl IntoIterator<Item = DynIden>,
) -> Result<(), DbErr> {
    for table in tables {
        manager
            .drop_table(Table::drop().table(table).to_owned())
            .await?;
    }
    Ok(())
}
