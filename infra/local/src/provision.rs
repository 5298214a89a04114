//! Creates the template's table, queues and secrets in the emulator, from the template's own properties, and
//! fills secrets with freshly generated keys (by their `tradesense:generate` tag).

use std::collections::HashMap;

use anyhow::{Context as _, anyhow, bail};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};
use aws_sdk_sqs::types::QueueAttributeName;
use rand::Rng;
use rand::distributions::Alphanumeric;
use serde_json::Value as Json;
use tradesense_adapters::AwsClients;
use tradesense_domain::identity::token::{SigningKeyMaterial, VerifyKeySet};

use crate::template::{Physical, Resolver, Template};

/// Names the resources of one provisioned copy of the template.
#[derive(Debug, Clone)]
pub struct StackContext {
    /// `AWS::StackName`: prefixes every physical name, so tests can provision side by side.
    pub stack_name: String,
    /// Parameter overrides (on top of the template's defaults).
    pub parameters: HashMap<String, String>,
}

fn field<'a>(v: &'a Json, key: &str) -> anyhow::Result<&'a Json> {
    v.get(key).ok_or_else(|| anyhow!("missing {key}"))
}

fn text(v: &Json, key: &str) -> anyhow::Result<String> {
    field(v, key)?
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("{key} is not a string"))
}

fn key_schema(v: &Json) -> anyhow::Result<Vec<KeySchemaElement>> {
    field(v, "KeySchema")?
        .as_array()
        .context("KeySchema")?
        .iter()
        .map(|k| {
            Ok(KeySchemaElement::builder()
                .attribute_name(text(k, "AttributeName")?)
                .key_type(KeyType::from(text(k, "KeyType")?.as_str()))
                .build()?)
        })
        .collect()
}

async fn create_table(aws: &AwsClients, props: &Json) -> anyhow::Result<Physical> {
    let name = text(props, "TableName")?;
    let attributes = field(props, "AttributeDefinitions")?
        .as_array()
        .context("AttributeDefinitions")?
        .iter()
        .map(|a| {
            Ok(AttributeDefinition::builder()
                .attribute_name(text(a, "AttributeName")?)
                .attribute_type(ScalarAttributeType::from(text(a, "AttributeType")?.as_str()))
                .build()?)
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let indexes = props
        .get("GlobalSecondaryIndexes")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .map(|g| {
            let projection = text(field(g, "Projection")?, "ProjectionType")?;
            Ok(GlobalSecondaryIndex::builder()
                .index_name(text(g, "IndexName")?)
                .set_key_schema(Some(key_schema(g)?))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::from(projection.as_str()))
                        .build(),
                )
                .build()?)
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let out = aws
        .dynamodb
        .create_table()
        .table_name(&name)
        .billing_mode(BillingMode::from(text(props, "BillingMode")?.as_str()))
        .set_attribute_definitions(Some(attributes))
        .set_key_schema(Some(key_schema(props)?))
        .set_global_secondary_indexes((!indexes.is_empty()).then_some(indexes))
        .send()
        .await
        .with_context(|| format!("create table {name}"))?;
    if let Some(ttl) = props.get("TimeToLiveSpecification") {
        aws.dynamodb
            .update_time_to_live()
            .table_name(&name)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name(text(ttl, "AttributeName")?)
                    .enabled(ttl.get("Enabled").and_then(Json::as_bool).unwrap_or(false))
                    .build()?,
            )
            .send()
            .await
            .with_context(|| format!("enable TTL on {name}"))?;
    }
    let arn = out
        .table_description
        .and_then(|d| d.table_arn)
        .unwrap_or_default();
    Ok(Physical {
        reference: name.clone(),
        attributes: HashMap::from([("Arn".into(), arn), ("TableName".into(), name)]),
    })
}

/// Queue properties that map one to one onto SQS attributes.
const QUEUE_ATTRIBUTES: [(&str, QueueAttributeName); 6] = [
    ("VisibilityTimeout", QueueAttributeName::VisibilityTimeout),
    (
        "MessageRetentionPeriod",
        QueueAttributeName::MessageRetentionPeriod,
    ),
    ("DelaySeconds", QueueAttributeName::DelaySeconds),
    (
        "ReceiveMessageWaitTimeSeconds",
        QueueAttributeName::ReceiveMessageWaitTimeSeconds,
    ),
    ("FifoQueue", QueueAttributeName::FifoQueue),
    (
        "ContentBasedDeduplication",
        QueueAttributeName::ContentBasedDeduplication,
    ),
];

async fn create_queue(aws: &AwsClients, props: &Json) -> anyhow::Result<Physical> {
    let name = text(props, "QueueName")?;
    let mut attributes = HashMap::new();
    for (prop, attribute) in QUEUE_ATTRIBUTES {
        if let Some(v) = props.get(prop) {
            attributes.insert(attribute, v.as_str().map_or_else(|| v.to_string(), str::to_owned));
        }
    }
    if let Some(redrive) = props.get("RedrivePolicy") {
        attributes.insert(QueueAttributeName::RedrivePolicy, redrive.to_string());
    }
    let url = aws
        .sqs
        .create_queue()
        .queue_name(&name)
        .set_attributes(Some(attributes))
        .send()
        .await
        .with_context(|| format!("create queue {name}"))?
        .queue_url
        .context("queue without url")?;
    let arn = aws
        .sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await?
        .attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .context("queue without arn")?;
    Ok(Physical {
        reference: url.clone(),
        attributes: HashMap::from([
            ("Arn".into(), arn),
            ("QueueName".into(), name),
            ("QueueUrl".into(), url),
        ]),
    })
}

/// A fresh value for a secret tagged `tradesense:generate = kind`.
///
/// # Errors
/// For an unknown kind.
pub fn generate_secret(kind: &str) -> anyhow::Result<String> {
    match kind {
        "ed25519-signing-key" => Ok(serde_json::to_string(&SigningKeyMaterial::generate(
            ulid::Ulid::new().to_string(),
        ))?),
        "random-64" => Ok(rand::thread_rng()
            .sample_iter(&Alphanumeric)
            .take(64)
            .map(char::from)
            .collect()),
        // Local only: a made-up app registration; the Upstox API is a mock here.
        "upstox-app-local" => Ok(serde_json::json!({
            "client_id": "tradesense-local",
            "client_secret": generate_secret("random-64")?,
            "redirect_uri": "http://127.0.0.1:3000/v1/auth/broker/upstox/callback",
        })
        .to_string()),
        // Filled from the signing key once every secret exists (see `provision`).
        "ed25519-verify-keys" => Ok(serde_json::to_string(&VerifyKeySet::default())?),
        other => bail!("unknown secret kind {other:?}"),
    }
}

fn generate_tag(props: &Json) -> Option<String> {
    props.get("Tags")?.as_array()?.iter().find_map(|t| {
        (t.get("Key")?.as_str()? == "tradesense:generate")
            .then(|| t.get("Value")?.as_str().map(str::to_owned))?
    })
}

async fn create_secret(aws: &AwsClients, props: &Json) -> anyhow::Result<Physical> {
    let name = text(props, "Name")?;
    let kind =
        generate_tag(props).with_context(|| format!("secret {name} has no tradesense:generate tag"))?;
    let arn = aws
        .secrets
        .create_secret()
        .name(&name)
        .secret_string(generate_secret(&kind)?)
        .send()
        .await
        .with_context(|| format!("create secret {name}"))?
        .arn
        .context("secret without arn")?;
    Ok(Physical {
        reference: arn.clone(),
        attributes: HashMap::from([("Arn".into(), arn), ("Name".into(), name)]),
    })
}

/// Rotates the access-token signing key: publishes the new key's public half (with the current one's, which
/// stays valid) to the verify-keys secret first, then makes the new key the signing secret's AWSCURRENT
/// (Secrets Manager moves the old one to AWSPREVIOUS). Returns the new `kid`.
///
/// # Errors
/// When a secret cannot be read or written.
pub async fn rotate_signing_key(
    aws: &AwsClients,
    signing_secret_id: &str,
    verify_keys_secret_id: &str,
) -> anyhow::Result<String> {
    let key = SigningKeyMaterial::generate(ulid::Ulid::new().to_string());
    let current = current_signing_key(aws, signing_secret_id).await?;
    let keys = std::iter::once(key.verify_key())
        .chain(current.map(|k| k.verify_key()))
        .collect();
    put_secret(
        aws,
        verify_keys_secret_id,
        &serde_json::to_string(&VerifyKeySet { keys })?,
    )
    .await?;
    put_secret(aws, signing_secret_id, &serde_json::to_string(&key)?).await?;
    Ok(key.kid)
}

/// Writes the verify-keys secret from the signing secret's current key (after provisioning).
///
/// # Errors
/// When a secret cannot be read or written.
pub async fn publish_verify_keys(
    aws: &AwsClients,
    signing_secret_id: &str,
    verify_keys_secret_id: &str,
) -> anyhow::Result<()> {
    let current = current_signing_key(aws, signing_secret_id)
        .await?
        .with_context(|| format!("{signing_secret_id} holds no signing key"))?;
    let set = VerifyKeySet {
        keys: vec![current.verify_key()],
    };
    put_secret(aws, verify_keys_secret_id, &serde_json::to_string(&set)?).await
}

/// The signing secret's AWSCURRENT key, or `None` while it still holds the deploy-time placeholder.
async fn current_signing_key(
    aws: &AwsClients,
    secret_id: &str,
) -> anyhow::Result<Option<SigningKeyMaterial>> {
    let value = aws
        .secrets
        .get_secret_value()
        .secret_id(secret_id)
        .send()
        .await
        .with_context(|| format!("get secret value {secret_id}"))?;
    Ok(value
        .secret_string()
        .and_then(|s| serde_json::from_str::<SigningKeyMaterial>(s).ok()))
}

async fn put_secret(aws: &AwsClients, secret_id: &str, value: &str) -> anyhow::Result<()> {
    aws.secrets
        .put_secret_value()
        .secret_id(secret_id)
        .secret_string(value)
        .send()
        .await
        .with_context(|| format!("put secret value {secret_id}"))?;
    Ok(())
}

/// Provisions every table, queue and secret of `template` and returns a resolver that knows them all.
///
/// # Errors
/// When a resource cannot be created or its properties cannot be resolved.
pub async fn provision(
    template: &Template,
    aws: &AwsClients,
    ctx: &StackContext,
) -> anyhow::Result<Resolver> {
    let mut parameters = template.parameter_defaults();
    parameters.extend(ctx.parameters.clone());
    let mut resolver = Resolver {
        stack_name: ctx.stack_name.clone(),
        region: "us-east-1".into(),
        account_id: "123456789012".into(),
        parameters,
        resources: HashMap::new(),
    };
    for (id, props) in template.resources_of_type("AWS::DynamoDB::Table") {
        let physical = create_table(aws, &resolver.resolve(&props)?)
            .await
            .with_context(|| id.clone())?;
        resolver.resources.insert(id, physical);
    }
    // Queues may name their DLQ: create in rounds until every reference resolves.
    let mut pending = template.resources_of_type("AWS::SQS::Queue");
    while !pending.is_empty() {
        let before = pending.len();
        let mut waiting = Vec::new();
        for (id, props) in pending {
            match resolver.resolve(&props) {
                Ok(resolved) => {
                    let physical = create_queue(aws, &resolved).await.with_context(|| id.clone())?;
                    resolver.resources.insert(id, physical);
                }
                Err(_) => waiting.push((id, props)),
            }
        }
        if waiting.len() == before {
            let ids: Vec<_> = waiting.iter().map(|(id, _)| id.as_str()).collect();
            bail!("queues with unresolvable properties: {ids:?}");
        }
        pending = waiting;
    }
    let mut by_kind = HashMap::new();
    for (id, props) in template.resources_of_type("AWS::SecretsManager::Secret") {
        let resolved = resolver.resolve(&props)?;
        let physical = create_secret(aws, &resolved).await.with_context(|| id.clone())?;
        if let Some(kind) = generate_tag(&resolved) {
            by_kind.insert(kind, physical.reference.clone());
        }
        resolver.resources.insert(id, physical);
    }
    // WebSocket APIs are served in process (`sockets`): an id to name them by, which the stack then replaces
    // in the functions' environment with the local socket's URL.
    for (id, _) in template.resources_of_type("AWS::ApiGatewayV2::Api") {
        let physical = Physical {
            reference: format!("local-{}", id.to_lowercase()),
            attributes: HashMap::new(),
        };
        resolver.resources.insert(id, physical);
    }
    if let (Some(signing), Some(verify)) = (
        by_kind.get("ed25519-signing-key"),
        by_kind.get("ed25519-verify-keys"),
    ) {
        publish_verify_keys(aws, signing, verify).await?;
    }
    Ok(resolver)
}
