package cxengage

// initJob is also samples/cxengage/job.yaml (a test keeps them equal). Its
// role ids are the sandbox's, so that `onboard run --sandbox` works as is.
const initJob = `# onboard job for CxEngage (Enghouse): creates one CxEngage platform user per CSV row.
# Put your platform's role ids in the roleId map, export the credentials, then:
#   onboard check --job job.yaml          (offline: every problem, first payloads)
#   onboard run --job job.yaml --sandbox  (rehearse against the built-in fake)
#   onboard run --job job.yaml            (for real)
provider: cxengage
endpoint: https://api.cxengage.net   # North America; Europe: https://eu-west-1-prod-api.cxengage.net
auth:                       # HTTP Basic; ${NAME} reads the environment
  username: ${CXENGAGE_USERNAME}    # a user with MANAGE_ALL_USERS (or api_key: and api_secret:)
  password: ${CXENGAGE_PASSWORD}
options:
  default_region: GB        # for phone numbers written without +country code
  # Tenant step, off by default: add each user THIS run creates to one tenant.
  # Users that already exist are never added (so nobody is invited twice); a row
  # whose tenant step fails is reported as failed although its platform user was
  # created: add those users to the tenant by hand. The ids below are the sandbox's.
  # tenant_id: 7d1e0c40-4b1a-11e6-8a5f-5347eb4882ad
  # tenant_role_id: 8a2f3b10-4b1a-11e6-8a5f-5347eb4882ad    # the users' role in that tenant
  # tenant_status: accepted  # accepted: no e-mail; invited: CxEngage e-mails every new user
input: users.csv            # relative to this file; --input overrides
key: Email                  # the column that identifies a person
rate: 5                     # requests per second, all workers together
concurrency: 4              # requests in flight at once
fields:                     # CxEngage field: where its value comes from
  email: { column: Email, lower: true }
  # Platform role ids (these are the sandbox's Agent and Supervisor roles).
  roleId: { column: Role, map: { Agent: d68381b0-c8fa-11e5-b38c-5347eb4882ad, Supervisor: d6838c14-c8fa-11e5-b38c-5347eb4882ad } }
  firstName: First Name     # shorthand for { column: First Name }
  lastName: Last Name
  externalId: Employee ID
  personalTelephone: Phone  # sent in E.164; national numbers are read in default_region
  status: { value: enabled }
  # additionalRoleIds: { column: Extra Roles, split: ";", map: { Reporting: d6838e9e-c8fa-11e5-b38c-5347eb4882ad } }
`

const initCSV = `First Name,Last Name,Email,Role,Employee ID,Phone
Ada,Lovelace,ada.lovelace@example.com,Agent,E1001,020 7946 0958
Alan,Turing,alan.turing@example.com,Supervisor,E1002,+1 415 555 0132
`
