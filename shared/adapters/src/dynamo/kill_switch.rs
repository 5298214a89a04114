//! The platform kill switch in DynamoDB: one `SYSTEM` item, overwritten on every flip, read with a
//! consistent read before every placement (a flip holds from the next order on).

use anyhow::Context as _;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use tradesense_domain::kernel::error::RepoError;
use tradesense_domain::ops::kill_switch::KillSwitch;
use tradesense_domain::ops::ports::KillSwitchStore;

use super::keys;
use super::table::Table;

/// [`KillSwitchStore`] over the single table.
#[derive(Clone, Debug)]
pub struct DynamoKillSwitch {
    table: Table,
}

impl DynamoKillSwitch {
    /// The switch in `table`.
    pub fn new(table: Table) -> Self {
        Self { table }
    }
}

#[async_trait]
impl KillSwitchStore for DynamoKillSwitch {
    async fn current(&self) -> Result<Option<KillSwitch>, RepoError> {
        let Some(item) = self.table.get(&keys::kill_switch()).await? else {
            return Ok(None);
        };
        let text = |name: &str| -> anyhow::Result<&String> {
            item.get(name)
                .and_then(|v| v.as_s().ok())
                .with_context(|| format!("kill switch without {name}"))
        };
        Ok(Some(KillSwitch {
            enabled: *item
                .get("enabled")
                .and_then(|v| v.as_bool().ok())
                .context("kill switch without enabled")?,
            reason: text("reason")?.clone(),
            changed_by: text("changed_by")?.parse().context("kill switch changed_by")?,
            changed_at: chrono::DateTime::parse_from_rfc3339(text("changed_at")?)
                .context("kill switch changed_at")?
                .with_timezone(&chrono::Utc),
        }))
    }

    async fn set(&self, switch: &KillSwitch) -> Result<(), RepoError> {
        let mut item = keys::kill_switch().to_attributes();
        item.insert("entity".into(), AttributeValue::S("kill_switch".into()));
        item.insert("enabled".into(), AttributeValue::Bool(switch.enabled));
        item.insert("reason".into(), AttributeValue::S(switch.reason.clone()));
        item.insert(
            "changed_by".into(),
            AttributeValue::S(switch.changed_by.to_string()),
        );
        item.insert(
            "changed_at".into(),
            AttributeValue::S(keys::sortable_time(switch.changed_at)),
        );
        self.table.put(item, "kill switch").await?;
        Ok(())
    }
}
