//! The checks over Secrets Manager's and SSM's models (`secretsmanager()`, `ssm()`) and their
//! generated types: their requests are refused with `ValidationException` in the counted wording,
//! and botocore's examples round-trip through the types.

use super::tests::round_trip_in;
use super::*;
use pretty_assertions::assert_eq;
use serde_json::json;

const SECRETSMANAGER_EXAMPLES: &str = include_str!("../../model/secretsmanager-2017-10-17.examples.json");

#[test]
fn validation_is_a_validation_exception_in_the_counted_wording() {
    let cases = [
        (
            secretsmanager(),
            "GetSecretValue",
            json!({}),
            "1 validation error detected: Value null at 'SecretId' failed to satisfy constraint: Member must not be null",
        ),
        (
            secretsmanager(),
            "CreateSecret",
            json!({"Name": "db", "SecretString": "x".repeat(65537)}),
            "1 validation error detected: Value at 'SecretString' failed to satisfy constraint: Member must have length less than or equal to 65536",
        ),
        (
            ssm(),
            "PutParameter",
            json!({"Name": "/a", "Value": "v", "Type": "Number"}),
            "1 validation error detected: Value 'Number' at 'Type' failed to satisfy constraint: Member must satisfy enum value set: [String, StringList, SecureString]",
        ),
    ];
    for (model, op, body, message) in cases {
        let error = model.check_input(op, &body).expect_err(op);
        assert_eq!((error.code, error.message.as_str()), ("ValidationException", message), "{op}");
    }
    assert_eq!(ssm().check_input("GetParameter", &json!({"Name": "/a"})), Ok(()));
}

#[test]
fn secretsmanager_examples_round_trip() {
    use crate::secretsmanager::*;
    let examples: Value = serde_json::from_str(SECRETSMANAGER_EXAMPLES).unwrap();
    let model = secretsmanager();
    let mut seen = 0;
    for (op, cases) in examples["examples"].as_object().unwrap() {
        for case in cases.as_array().unwrap() {
            let (input, output) = (case.get("input"), case.get("output"));
            seen += 1;
            match op.as_str() {
                "CreateSecret" => round_trip_in::<CreateSecretRequest, CreateSecretResponse>(model, op, input, output),
                "GetSecretValue" => {
                    round_trip_in::<GetSecretValueRequest, GetSecretValueResponse>(model, op, input, output)
                }
                "DescribeSecret" => {
                    round_trip_in::<DescribeSecretRequest, DescribeSecretResponse>(model, op, input, output)
                }
                "DeleteSecret" => round_trip_in::<DeleteSecretRequest, DeleteSecretResponse>(model, op, input, output),
                _ => seen -= 1,
            }
        }
    }
    assert!(seen >= 4, "botocore's examples of the served operations were read ({seen})");
}
