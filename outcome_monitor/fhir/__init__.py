"""FHIR R4 interchange: resource builders, read endpoints, export and import.

Resources are built and validated with ``fhir.resources.R4B`` (wire-compatible with R4 4.0.1
for the resources used here; docs/adr/0009-fhir-r4b-models.md). Client data leaves only as a
Patient identified by the pseudonymous code, and the item wording of scoring-only instruments
never leaves at all (licence; docs/interop.md "FHIR R4").
"""
