//! Diesel table definitions, hand-kept in the subset both backends share (see `migrations/`).

diesel::table! {
    patients (id) {
        id -> Text,
        facility_id -> Text,
        patient_id_number -> Nullable<Text>,
        items -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        date_of_birth -> Nullable<Text>,
        vital_status -> Nullable<Text>,
        date_of_last_contact -> Nullable<Text>,
        status -> Text,
        name_last -> Nullable<Text>,
        name_last_soundex -> Nullable<Text>,
        name_first -> Nullable<Text>,
        ssn -> Nullable<Text>,
        ssn_last4 -> Nullable<Text>,
        sex -> Nullable<Text>,
        birth_year -> Nullable<Integer>,
    }
}

diesel::table! {
    tumors (id) {
        id -> Text,
        patient_id -> Text,
        facility_id -> Text,
        primary_site -> Nullable<Text>,
        histology -> Nullable<Text>,
        behavior -> Nullable<Text>,
        dx_year -> Nullable<Integer>,
        schema_id -> Nullable<Text>,
        status -> Text,
        items -> Text,
        version -> BigInt,
        source_file -> Nullable<Text>,
        source_line -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        edit_status -> Nullable<Text>,
        edit_failures -> Nullable<Text>,
        edits_checked_at -> Nullable<Timestamp>,
        medical_record_number -> Nullable<Text>,
    }
}

diesel::table! {
    tumor_withdrawals (tumor_id, recipient) {
        tumor_id -> Text,
        recipient -> Text,
        reason -> Text,
        withdrawn_by -> Text,
        withdrawn_at -> Timestamp,
        reported_in -> Nullable<Text>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Text,
        at -> Timestamp,
        actor -> Text,
        roles -> Text,
        action -> Text,
        entity -> Text,
        entity_id -> Nullable<Text>,
        request_id -> Nullable<Text>,
        details -> Text,
        seq -> Nullable<BigInt>,
        hash -> Nullable<Text>,
    }
}

diesel::table! {
    patient_contacts (id) {
        id -> Text,
        patient_id -> Text,
        contact_date -> Text,
        vital_status -> Text,
        details -> Text,
        applied -> Bool,
        recorded_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    submissions (id) {
        id -> Text,
        recipient -> Text,
        record_type -> Text,
        naaccr_version -> Text,
        selection -> Text,
        status -> Text,
        patients -> BigInt,
        tumors -> BigInt,
        file_bytes -> BigInt,
        error -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
        report -> Nullable<Text>,
        lease_owner -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        attempts -> Integer,
    }
}

diesel::table! {
    submission_files (submission_id, chunk) {
        submission_id -> Text,
        chunk -> Integer,
        data -> Binary,
    }
}

diesel::table! {
    submission_items (submission_id, tumor_id) {
        submission_id -> Text,
        tumor_id -> Text,
        tumor_version -> BigInt,
        patient_version -> BigInt,
        change -> Text,
        changed_items -> Nullable<Text>,
    }
}

diesel::table! {
    recipients (id) {
        id -> Text,
        name -> Text,
        kind -> Text,
        record_type -> Text,
        naaccr_version -> Text,
        registry_id -> Nullable<Text>,
        registry_type -> Nullable<Text>,
        npi_registry_id -> Nullable<Text>,
        edit_set -> Nullable<Text>,
        version -> BigInt,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    recipient_facilities (recipient_id, facility_id) {
        recipient_id -> Text,
        facility_id -> Text,
    }
}

diesel::table! {
    recipient_tumors (recipient_id, tumor_id) {
        recipient_id -> Text,
        tumor_id -> Text,
        patient_id -> Text,
        tumor_version -> BigInt,
        patient_version -> BigInt,
        items -> Text,
        submission_id -> Text,
    }
}

diesel::table! {
    imports (id) {
        id -> Text,
        file_name -> Nullable<Text>,
        status -> Text,
        report -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        facilities -> Nullable<Text>,
    }
}

diesel::table! {
    tumor_sources (id) {
        id -> Text,
        tumor_id -> Text,
        import_id -> Text,
        file_name -> Nullable<Text>,
        line -> Nullable<BigInt>,
        change -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    research_requests (id) {
        id -> Text,
        title -> Text,
        investigator -> Text,
        institution -> Text,
        purpose -> Text,
        irb_approval_id -> Text,
        irb_approval_date -> Text,
        items -> Text,
        selection -> Text,
        status -> Text,
        reason -> Nullable<Text>,
        expires_on -> Nullable<Text>,
        decided_by -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
        history -> Text,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    research_releases (id) {
        id -> Text,
        request_id -> Text,
        kind -> Text,
        items -> Text,
        records -> BigInt,
        sha256 -> Text,
        released_by -> Text,
        released_at -> Timestamp,
    }
}

diesel::table! {
    death_reviews (id) {
        id -> Text,
        fingerprint -> Text,
        record -> Text,
        patient_ids -> Text,
        reason -> Text,
        status -> Text,
        decided_patient_id -> Nullable<Text>,
        decision_reason -> Nullable<Text>,
        decided_by -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    facilities (id) {
        id -> Text,
        name -> Text,
        npi -> Nullable<Text>,
        state -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    facility_profiles (facility_id) {
        facility_id -> Text,
        items -> Text,
        version -> BigInt,
        updated_by -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// Every (facility, patient) pair a facility scope accepts: the patient's own facility and
    /// the facility of each of its tumors (kept by triggers), with the patient's Date of Last
    /// Contact, Vital Status and birth year copied, and whether the pair has a tumor follow-up
    /// may apply to (`followed`), for the due list's seek (also by triggers).
    patient_facilities (facility_id, patient_id) {
        facility_id -> Text,
        patient_id -> Text,
        date_of_last_contact -> Nullable<Text>,
        vital_status -> Nullable<Text>,
        followed -> Bool,
        birth_year -> Nullable<Integer>,
    }
}

diesel::joinable!(tumors -> patients (patient_id));
diesel::joinable!(research_releases -> research_requests (request_id));
diesel::joinable!(submission_items -> submissions (submission_id));
diesel::joinable!(submission_files -> submissions (submission_id));
diesel::joinable!(patient_contacts -> patients (patient_id));
diesel::joinable!(tumor_withdrawals -> tumors (tumor_id));
diesel::joinable!(recipient_facilities -> recipients (recipient_id));
diesel::allow_tables_to_appear_in_same_query!(
    patients,
    tumors,
    audit_log,
    patient_contacts,
    submissions,
    submission_items,
    submission_files,
    imports,
    research_requests,
    research_releases,
    death_reviews,
    tumor_sources,
    facilities,
    facility_profiles,
    tumor_withdrawals,
    recipients,
    recipient_facilities,
    recipient_tumors,
    patient_facilities
);

diesel::table! {
    audit_chain (id) {
        id -> Integer,
        seq -> BigInt,
        hash -> Text,
        legacy_sealed -> Bool,
        subjects_indexed -> Bool,
    }
}

diesel::table! {
    audit_subjects (entity_id, audit_id) {
        entity_id -> Text,
        audit_id -> Text,
    }
}

diesel::table! {
    audit_pending (id) {
        id -> Text,
        body -> Text,
    }
}

diesel::allow_tables_to_appear_in_same_query!(audit_log, audit_subjects);
