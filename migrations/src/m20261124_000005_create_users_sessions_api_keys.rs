use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261124_000002_create_agents::Agents;
use crate::tables::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    LocationId,
    /// Lower-cased; one account per address across locations.
    Email,
    Name,
    /// Argon2id, in PHC string format.
    PasswordHash,
    Role,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    /// SHA-256 of the session token; the token itself is never stored.
    TokenHash,
    UserId,
    LocationId,
    CsrfToken,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
    LocationId,
    Name,
    /// SHA-256 of the key; the key itself is shown once and never stored.
    TokenHash,
    Scopes,
    /// Set for an agent's key: it proposes only as that agent.
    AgentId,
    CreatedAt,
    RevokedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        table(
            Users::Table,
            [
                pk_uuid(Users::Id),
                uuid(Users::LocationId),
                string_uniq(Users::Email),
                string(Users::Name),
                string(Users::PasswordHash),
                string_len(Users::Role, 16),
                timestamptz(Users::CreatedAt),
            ],
        )
        .location_fk(Users::LocationId)
        .index("ix_users_location", [Users::LocationId])
        .create(manager)
        .await?;
        table(
            Sessions::Table,
            [
                pk_uuid(Sessions::Id),
                string_len_uniq(Sessions::TokenHash, 64),
                uuid(Sessions::UserId),
                uuid(Sessions::LocationId),
                string_len(Sessions::CsrfToken, 64),
                timestamptz(Sessions::CreatedAt),
                timestamptz(Sessions::ExpiresAt),
                timestamptz_null(Sessions::RevokedAt),
            ],
        )
        .foreign_key(Sessions::UserId, Users::Table, Users::Id)
        .location_fk(Sessions::LocationId)
        .create(manager)
        .await?;
        table(
            ApiKeys::Table,
            [
                pk_uuid(ApiKeys::Id),
                uuid(ApiKeys::LocationId),
                string(ApiKeys::Name),
                string_len_uniq(ApiKeys::TokenHash, 64),
                json_binary(ApiKeys::Scopes),
                uuid_null(ApiKeys::AgentId),
                timestamptz(ApiKeys::CreatedAt),
                timestamptz_null(ApiKeys::RevokedAt),
            ],
        )
        .location_fk(ApiKeys::LocationId)
        .foreign_key(ApiKeys::AgentId, Agents::Table, Agents::Id)
        .index("ix_api_keys_location", [ApiKeys::LocationId])
        .create(manager)
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            [
                ApiKeys::Table.into_iden(),
                Sessions::Table.into_iden(),
                Users::Table.into_iden(),
            ],
        )
        .await
    }
}
