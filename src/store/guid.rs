//! The GUID newtypes as SQLite columns: stored as the lowercase text they display as (every
//! table holds them so), decoded with the same parse the edge uses, so a row carries a
//! `SubscriptionId` and ids built from it go through `ResourceId` without a second parse.
use crate::domain::{SubscriptionId, TenantId};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::sqlite::{SqliteArgumentValue, SqliteTypeInfo, SqliteValueRef};
use sqlx::{Decode, Encode, Sqlite, Type};

macro_rules! guid_column {
    ($name:ident) => {
        impl Type<Sqlite> for $name {
            fn type_info() -> SqliteTypeInfo {
                <str as Type<Sqlite>>::type_info()
            }
            fn compatible(ty: &SqliteTypeInfo) -> bool {
                <str as Type<Sqlite>>::compatible(ty)
            }
        }

        impl<'r> Decode<'r, Sqlite> for $name {
            fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
                Ok($name::parse(<&str as Decode<Sqlite>>::decode(value)?)?)
            }
        }

        impl<'q> Encode<'q, Sqlite> for $name {
            fn encode_by_ref(
                &self,
                buf: &mut Vec<SqliteArgumentValue<'q>>,
            ) -> Result<IsNull, BoxDynError> {
                <String as Encode<Sqlite>>::encode(self.to_string(), buf)
            }
        }
    };
}

guid_column!(SubscriptionId);
guid_column!(TenantId);
