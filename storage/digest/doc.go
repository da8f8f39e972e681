// Package digest validates and represents REAPI content digests. Every
// digest that enters Sandbarn from the wire goes through New or FromProto,
// so the rest of the code can trust hash and size.
package digest
