package shopify

// The GraphQL documents the client sends. schema_test.go validates every
// one of them (and the bulk queries built from them) against the Admin API
// schema plus testdata/overlay-2026.graphql.

// PageSize is the largest number of records per page: Shopify's maximum
// for a connection's first argument. A page holds fewer when its nodes are
// too costly for MaxQueryCost (operation.maxPage).
const PageSize = 250

// MaxQueryCost is Shopify's cap on one query's requested cost, whatever
// the plan: a query above it is refused with MAX_COST_EXCEEDED.
const MaxQueryCost = 1000

// customerNodeCost is the cost of one node of customerFields: the node and
// its five object fields (defaultEmailAddress, defaultPhoneNumber,
// defaultAddress, amountSpent, the metafield). A page of them holds
// (1000-2)/6 = 166 customers.
const customerNodeCost = 1 + 5

// mutationCost is Shopify's default requested cost of a mutation.
const mutationCost = 10

// customerFields is the selection of one customer, shared by the paged
// query and the bulk query so both decode into customerNode.
const customerFields = `
      id
      firstName
      lastName
      note
      numberOfOrders
      updatedAt
      defaultEmailAddress { emailAddress }
      defaultPhoneNumber { phoneNumber }
      defaultAddress { phone }
      amountSpent { amount }
      totalSpent: metafield(namespace: "` + TotalSpentNamespace + `", key: "` + TotalSpentKey + `") { value compareDigest }`

// variantFields is the selection of one variant with its product inline, so
// bulk results need no __parentId joins. The %s after tracked is where the
// inventory levels at the caller's locations go (levelSelection): one
// aliased inventoryLevel(locationId:) per location, not the inventoryLevels
// connection, so a bulk export has no child lines and a page's cost grows
// with the locations asked for, not with every location of the shop.
const variantFields = `
      id
      title
      sku
      barcode
      updatedAt
      product { id title status }
      inventoryItem { id tracked%s }`

// customersDocument pages customers ordered by updatedAt, so a pull's
// high-water mark only moves forward.
const customersDocument = `query Customers($first: Int!, $after: String, $query: String) {
  customers(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    nodes {` + customerFields + `
    }
    pageInfo { hasNextPage endCursor }
  }
}`

const variantsDocumentTemplate = `query ProductVariants($first: Int!, $after: String, $query: String) {
  productVariants(first: $first, after: $after, query: $query, sortKey: ID) {
    nodes {` + variantFields + `
    }
    pageInfo { hasNextPage endCursor }
  }
}`

// locationsDocument asks for the primary location with location(id:)
// omitted (Shopify's documented way since shop.primaryLocation went away)
// alongside the active locations.
const locationsDocument = `query Locations($first: Int!, $after: String) {
  primary: location { id }
  locations(first: $first, after: $after, includeInactive: false, sortKey: ID) {
    nodes { id name }
    pageInfo { hasNextPage endCursor }
  }
}`

const metafieldsSetDocument = `mutation MetafieldsSet($metafields: [MetafieldsSetInput!]!) {
  metafieldsSet(metafields: $metafields) {
    userErrors { field message code elementIndex }
  }
}`

// inventorySetDocument carries the idempotency key in the @idempotent
// directive, mandatory from API 2026-04.
const inventorySetDocument = `mutation InventorySetQuantities($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { id }
    userErrors { field message code }
  }
}`

const bulkRunDocument = `mutation BulkOperationRunQuery($query: String!) {
  bulkOperationRunQuery(query: $query) {
    bulkOperation { id status }
    userErrors { field message }
  }
}`

const bulkCancelDocument = `mutation BulkOperationCancel($id: ID!) {
  bulkOperationCancel(id: $id) {
    bulkOperation { status }
    userErrors { field message }
  }
}`

const customersCountDocument = `query CustomersCount($query: String) {
  customersCount(query: $query) { count precision }
}`

const variantsCountDocument = `query ProductVariantsCount($query: String) {
  productVariantsCount(query: $query) { count precision }
}`

const stagedUploadsDocument = `mutation StagedUploadsCreate($input: [StagedUploadInput!]!) {
  stagedUploadsCreate(input: $input) {
    stagedTargets { url resourceUrl parameters { name value } }
    userErrors { field message }
  }
}`

const bulkRunMutationDocument = `mutation BulkOperationRunMutation($mutation: String!, $path: String!) {
  bulkOperationRunMutation(mutation: $mutation, stagedUploadPath: $path) {
    bulkOperation { id status }
    userErrors { field message code }
  }
}`

const bulkPollDocument = `query BulkOperation($id: ID!) {
  node(id: $id) {
    ... on BulkOperation { id status errorCode objectCount url partialDataUrl }
  }
}`

// bulkCustomersTemplate and bulkVariantsTemplate are the inner queries of a
// bulk export; %s is the query argument (with its parentheses) or nothing.
// Bulk queries ignore first and cursors and want edges { node }.
const bulkCustomersTemplate = `{
  customers%s {
    edges {
      node {` + customerFields + `
      }
    }
  }
}`

const bulkVariantsTemplate = `{
  productVariants%s {
    edges {
      node {` + variantFields + `
      }
    }
  }
}`

var (
	opCustomers       = operation{name: "customers", document: customersDocument, nodeCost: customerNodeCost}
	opVariants        = variantsOperation("", 0)
	opLocations       = operation{name: "locations", document: locationsDocument, cost: 1 + 2 + PageSize, nodeCost: 1, overhead: 1}
	opMetafieldsSet   = operation{name: "metafieldsSet", document: metafieldsSetDocument, cost: mutationCost}
	opInventorySet    = operation{name: "inventorySetQuantities", document: inventorySetDocument, cost: mutationCost}
	opBulkRun         = operation{name: "bulkOperationRunQuery", document: bulkRunDocument, cost: mutationCost}
	opBulkPoll        = operation{name: "bulkOperation", document: bulkPollDocument, cost: 1}
	opBulkCancel      = operation{name: "bulkOperationCancel", document: bulkCancelDocument, cost: mutationCost}
	opCustomersCount  = operation{name: "customersCount", document: customersCountDocument, cost: 1}
	opVariantsCount   = operation{name: "productVariantsCount", document: variantsCountDocument, cost: 1}
	opStagedUploads   = operation{name: "stagedUploadsCreate", document: stagedUploadsDocument, cost: mutationCost}
	opBulkRunMutation = operation{name: "bulkOperationRunMutation", document: bulkRunMutationDocument, cost: mutationCost}
)

// documents lists every fixed document, for the schema test.
var documents = []operation{opCustomers, opVariants, opLocations, opMetafieldsSet, opInventorySet, opBulkRun, opBulkPoll,
	opInventoryActivate, opBulkCancel, opCustomersCount, opVariantsCount, opStagedUploads, opBulkRunMutation,
	{name: "metafieldsSet", document: bulkMetafieldsMutation}, {name: "inventorySetQuantities", document: bulkInventoryMutation}}
