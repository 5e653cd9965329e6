//! Builds the Tauri context and declares the app's own commands, so each needs an explicit
//! `allow-*` permission in `capabilities/` (nothing is callable by default).

fn main() {
    let commands = &[
        "list_invoices",
        "invoice_anchors",
        "invoice_detail",
        "get_upo_xml",
        "start_import",
        "cancel_import",
        "pick_import_files",
        "pick_import_folder",
        "generate_demo_invoices",
        "dashboard",
        "invoice_counts",
        "engine_status",
        "export_weekly_report",
        "list_alerts",
        "resolve_alert",
        "dictionary",
        "get_settings",
        "save_settings",
        "list_companies",
        "add_company",
        "test_connection",
        "set_active_company",
        "schema_status",
        "fetch_schemas",
        "backup_database",
        "export_invoices",
        "save_upos",
        "remove_invalid",
    ];
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(commands)),
    )
    .expect("failed to build the Tauri context");
}
