use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A message's plain-text alternative is no longer kept: it is the same function of the kept
/// HTML (html2text, with no line width), derived where the message is sent or shown. Rendering
/// it was about half of rendering a message, which a bulk approval of 500 does 500 times before
/// it answers; the text the column held is what deriving it gives.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("ALTER TABLE deliveries DROP COLUMN body_text")
            .await
            .map(drop)
    }

    /// The column comes back empty for the messages kept since: SQL cannot derive their text.
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("ALTER TABLE deliveries ADD COLUMN body_text text")
            .await
            .map(drop)
    }
}
