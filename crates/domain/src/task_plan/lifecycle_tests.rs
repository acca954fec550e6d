//! The Task lifecycle, table by table, as ECS behaviour.

use super::*;
