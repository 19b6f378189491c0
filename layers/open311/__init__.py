"""Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2) over citizen feedback.

Modules by concern: ``models`` (what a client sent that the report itself has no column
for), ``services`` (categories as services and service definitions), ``requests`` (reports
as service requests: read, query, create through ``layers.feedback.reports.submit``),
``documents`` (discovery, errors, the XML form of every document).

Mapping, in one place:
* service_code = category code; service_request_id = token = the report's tracking code
  (requests are created synchronously, so a token is never needed; ``tokens/{code}``
  answers for clients that ask anyway);
* status ``open`` = received, assigned, in_progress; ``closed`` = resolved (awaiting the
  citizen), closed (confirmed or resolved_unconfirmed), rejected, duplicate. The finer
  status is the first word of ``status_notes``;
* agency_responsible = the agency's Vietnamese name; expected_datetime = the deadline;
  address = the reporter's place hint (if any) and the commune's name.
"""

import layers.models  # noqa: F401  (see layers.feedback: enter through the shared models)
