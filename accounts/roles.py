"""The three staff roles. Their groups and permissions are created by migrations."""

PHARMACY_STAFF = "Pharmacy staff"
PHARMACIST = "Pharmacist"
PHARMACY_ADMIN = "Pharmacy admin"
ROLES = (PHARMACY_STAFF, PHARMACIST, PHARMACY_ADMIN)
