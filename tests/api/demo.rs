use reqwest::StatusCode;
use tradesense_adapters::dynamo::Table;
use tradesense_adapters::dynamo::users::DynamoUserRepository;
use tradesense_domain::identity::ports::UserRepository;
use tradesense_domain::identity::rbac::Role;

use crate::helpers::{get_with_token, stack};

#[tokio::test]
async fn the_demo_users_exist_with_their_role_and_the_demo_password() {
    let users = DynamoUserRepository::new(Table::new(stack().aws().await.dynamodb, &stack().table));
    for (email, role) in [
        ("admin@demo.tradesense.in", Role::Admin),
        ("trader@demo.tradesense.in", Role::Trader),
        ("viewer@demo.tradesense.in", Role::Viewer),
    ] {
        let user = users
            .find_by_email(&email.parse().unwrap())
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{email} missing"));
        assert_eq!(user.roles, [role]);
        assert!(user.password_hash.verify("TradeSense-demo-2026"), "{email}");
        assert!(!user.password_hash.verify("wrong-password"), "{email}");
        assert!(!user.disabled);
    }
}

#[tokio::test]
async fn the_demo_admin_logs_in_and_reads_deep_health() {
    let token = stack().login_as(Role::Admin).await;
    let response = get_with_token("/v1/admin/health", &token).await;
    assert_eq!(response.status(), StatusCode::OK);
}
