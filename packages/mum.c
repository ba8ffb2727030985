/*
 * mum.c: package manifests (.mum), the XML files CBS keeps one of per
 * package in Windows\servicing\Packages and that every .msu/.cab carries
 * as update.mum.
 *
 * A .mum is an <assembly> (urn:schemas-microsoft-com:asm.v3) holding the
 * package's <assemblyIdentity> and one <package> element: its identifier
 * (a KB or a name), releaseType and restart; <parent> packages it attaches
 * to, the <installerAssembly> servicing stack it needs, and <update>
 * entries, each naming components, child packages or drivers. Windows
 * writes them UTF-8 with a BOM and CRLF (testdata's copies are LF without
 * BOM, see PROVENANCE.md).
 *
 * The files come from broken disks, so libxml2 reads them through SAX
 * with no tree, no network, no DTD and no entity expansion; a DOCTYPE is
 * refused the moment it is seen, before an entity can be declared.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "packages/packages.h"
#include "util/util.h"

/* Trailing NUL bytes that mean unwritten clusters rather than a stray
 * terminator: real .mum files end in "</assembly>" and CRLF. */
#define NTM_MUM_ZERO_TAIL	16

/* What an element is, by where it stands. */
enum mum_elem {
	E_OTHER,
	E_ASSEMBLY,		/* the root */
	E_PACKAGE,		/* assembly/package */
	E_PARENT,		/* assembly/package/parent */
	E_DEPENDENCY,		/* a <dependency> and all inside it */
	E_UPDATE,		/* assembly/package/update */
	E_MEMBER,		/* update/{component,package,driver} */
	E_APPLICABLE,		/* update/{applicable,selectable} */
	E_UPDATE_COMPONENT,	/* applicable/updateComponent */
	E_DECLARE_CAP,		/* package/declareCapability */
	E_CAPABILITY		/* declareCapability/capability */
};

struct mum_ctx {
	xmlParserCtxtPtr	 ctxt;
	struct mum		*m;
	char			*error;		/* first error, one line */
	int			 depth;		/* elements open */
	enum mum_elem		 stack[NTM_MAX_MUM_DEPTH + 1];
	const xmlChar		*names[NTM_MAX_MUM_DEPTH + 1]; /* in the
						   parser's dictionary */
	int			 lines[NTM_MAX_MUM_DEPTH + 1];
	enum mum_member_kind	 member_kind;	/* of the open E_MEMBER */
	int			 root_seen;
	int			 root_closed;
	int			 last;		/* last byte of the input that
						   is not white space or NUL */
	int			 identity_seen;
	int			 package_seen;
	int			 update_open;	/* updates[nupdates - 1] is
						   the open one */
	int			 parent_open;
	size_t			 a_parents, a_deps, a_inst, a_updates;
	size_t			 a_members, a_caps;
	size_t			 a_pids;	/* of the open parent's ids */
};

static void	mum_identity_clear(struct mum_identity *);

/* Keep a libxml2 message or a name from the input printable and short:
 * one line, no control characters, cut at a UTF-8 boundary. */
static char *
mum_clean(const char *s, size_t max)
{
	char	*out;
	size_t	 n, i;

	n = strlen(s);
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' ||
	    s[n - 1] == ' '))
		n--;
	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	out = xstrndup(s, n);
	for (i = 0; i < n; i++) {
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			out[i] = ' ';
	}
	return out;
}

static void
mum_fail(struct mum_ctx *c, const char *fmt, ...) NTM_PRINTF(2, 3);

/* Record the first error and stop libxml2. */
static void
mum_fail(struct mum_ctx *c, const char *fmt, ...)
{
	va_list	ap;

	if (c->error == NULL) {
		va_start(ap, fmt);
		xvasprintf(&c->error, fmt, ap);
		va_end(ap);
	}
	xmlStopParser(c->ctxt);
}

/* Has libxml2 read all of the input? */
static int
mum_at_end(struct mum_ctx *c)
{
	xmlParserInputPtr	in = c->ctxt->input;

	return in != NULL && in->cur != NULL && in->end != NULL &&
	    in->cur >= in->end;
}

/*
 * Structured errors: libxml2's own words with the line they are on. A
 * file that stops before its root element is closed, without a '>' at
 * its end or with elements left open, was cut short (the field case's
 * FoD manifest was cut in half): say so, and in which element. A flipped
 * byte inside an otherwise whole file stays "malformed".
 */
static void
mum_xml_error(void *arg, xmlErrorPtr err)
{
	struct mum_ctx	*c = arg;
	char		*msg, *name;
	int		 cut;

	if (err == NULL || err->level < XML_ERR_ERROR || c->error != NULL)
		return;
	msg = mum_clean(err->message != NULL ? err->message : "error",
	    NTM_MAX_MUM_REASON);
	cut = !c->root_closed && (c->last != '>' ||
	    err->code == XML_ERR_TAG_NOT_FINISHED || (!c->root_seen &&
	    err->code == XML_ERR_DOCUMENT_EMPTY));
	if (cut && c->depth == 0)
		xasprintf(&c->error, "cut short: ends before the root element "
		    "is open (line %d: %s)", err->line, msg);
	else if (cut) {
		name = mum_clean((const char *)c->names[c->depth], 64);
		xasprintf(&c->error, "cut short: ends inside <%s> opened at "
		    "line %d (line %d: %s)", name, c->lines[c->depth],
		    err->line, msg);
		free(name);
	} else if (err->line > 0)
		xasprintf(&c->error, "malformed XML at line %d: %s", err->line,
		    msg);
	else
		xasprintf(&c->error, "malformed XML: %s", msg);
	free(msg);
}

/*
 * A DOCTYPE: no package manifest has one, and its internal subset is
 * where entity bombs (billion laughs) and external entities live. libxml2
 * calls this before it reads the subset, so nothing in it is parsed.
 */
static void
mum_internal_subset(void *arg, const xmlChar *name, const xmlChar *ext,
    const xmlChar *sys)
{
	mum_fail(arg, "has a document type declaration (<!DOCTYPE>): no "
	    "package manifest has one, and its entities are not read");
}

static void
mum_external_subset(void *arg, const xmlChar *name, const xmlChar *ext,
    const xmlChar *sys)
{
	mum_internal_subset(arg, name, ext, sys);
}

/* Only the five predefined entities exist: with no DTD, any other
 * reference is a well-formedness error. */
static xmlEntityPtr
mum_get_entity(void *arg, const xmlChar *name)
{
	return xmlGetPredefinedEntity(name);
}

/* An attribute of a SAX2 start tag (localname, prefix, URI, value, end
 * per attribute); NULL if absent. Caller frees. */
static char *
mum_attr(int n, const xmlChar **attrs, const char *name)
{
	int	i;

	for (i = 0; i < n; i++) {
		if (attrs[i * 5 + 1] != NULL)
			continue;	/* prefixed: another namespace's */
		if (strcmp((const char *)attrs[i * 5], name) == 0)
			return xstrndup((const char *)attrs[i * 5 + 3],
			    (size_t)(attrs[i * 5 + 4] - attrs[i * 5 + 3]));
	}
	return NULL;
}

static void
mum_identity_read(struct mum_identity *id, int n, const xmlChar **attrs)
{
	id->name = mum_attr(n, attrs, "name");
	id->version = mum_attr(n, attrs, "version");
	id->arch = mum_attr(n, attrs, "processorArchitecture");
	id->language = mum_attr(n, attrs, "language");
	id->token = mum_attr(n, attrs, "publicKeyToken");
	id->build_type = mum_attr(n, attrs, "buildType");
}

/* Room for one more item in *arr (of *n, *alloc allocated), or NULL when
 * the list is at NTM_MAX_MUM_ITEMS (the item is only counted). */
static void *
mum_grow(struct mum_ctx *c, void **arr, size_t *n, size_t *alloc,
    size_t size)
{
	uint8_t	*p;

	if (*n >= NTM_MAX_MUM_ITEMS) {
		c->m->dropped++;
		return NULL;
	}
	if (*n == *alloc) {
		*alloc = *alloc == 0 ? 4 : *alloc * 2;
		*arr = xreallocarray(*arr, *alloc, size);
	}
	p = (uint8_t *)*arr + *n * size;
	memset(p, 0, size);
	(*n)++;
	return p;
}

static void
mum_add_identity(struct mum_ctx *c, struct mum_identity **arr, size_t *n,
    size_t *alloc, int na, const xmlChar **attrs)
{
	struct mum_identity	*id;

	id = mum_grow(c, (void **)arr, n, alloc, sizeof **arr);
	if (id != NULL)
		mum_identity_read(id, na, attrs);
}

static enum mum_elem
mum_start_package(struct mum_ctx *c, const char *name, int na,
    const xmlChar **attrs)
{
	struct mum		*m = c->m;
	struct mum_parent	*p;
	struct mum_update	*u;

	if (strcmp(name, "parent") == 0) {
		p = mum_grow(c, (void **)&m->parents, &m->nparents,
		    &c->a_parents, sizeof *m->parents);
		c->parent_open = p != NULL;
		c->a_pids = 0;
		if (p == NULL)
			return E_OTHER;
		p->disposition = mum_attr(na, attrs, "disposition");
		p->integrate = mum_attr(na, attrs, "integrate");
		p->build_compare = mum_attr(na, attrs, "buildCompare");
		p->revision_compare = mum_attr(na, attrs, "revisionCompare");
		return E_PARENT;
	}
	if (strcmp(name, "installerAssembly") == 0) {
		mum_add_identity(c, &m->installers, &m->ninstallers,
		    &c->a_inst, na, attrs);
		return E_OTHER;
	}
	if (strcmp(name, "update") == 0) {
		u = mum_grow(c, (void **)&m->updates, &m->nupdates,
		    &c->a_updates, sizeof *m->updates);
		c->update_open = u != NULL;
		if (u == NULL)
			return E_OTHER;
		u->name = mum_attr(na, attrs, "name");
		u->restart = mum_attr(na, attrs, "restart");
		u->first = m->nmembers;
		return E_UPDATE;
	}
	if (strcmp(name, "dependency") == 0)
		return E_DEPENDENCY;
	if (strcmp(name, "declareCapability") == 0)
		return E_DECLARE_CAP;
	if (strcmp(name, "customInformation") == 0)
		m->custom_info = 1;
	return E_OTHER;
}

static void
mum_add_member(struct mum_ctx *c, enum mum_member_kind kind, int na,
    const xmlChar **attrs)
{
	struct mum		*m = c->m;
	struct mum_member	*mb;

	if (!c->update_open)
		return;
	mb = mum_grow(c, (void **)&m->members, &m->nmembers, &c->a_members,
	    sizeof *m->members);
	if (mb == NULL)
		return;
	mb->kind = kind;
	mum_identity_read(&mb->id, na, attrs);
	m->updates[m->nupdates - 1].nmembers++;
}

/* The kind of a new element from its parent's kind and its name. */
static enum mum_elem
mum_classify(struct mum_ctx *c, enum mum_elem up, const char *name, int na,
    const xmlChar **attrs)
{
	struct mum		*m = c->m;
	struct mum_update	*u;
	char			*s, **cap;

	switch (up) {
	case E_ASSEMBLY:
		if (strcmp(name, "assemblyIdentity") == 0) {
			/* The first is the package's; Windows reads no
			 * other. */
			if (!c->identity_seen)
				mum_identity_read(&m->identity, na, attrs);
			c->identity_seen = 1;
			return E_OTHER;
		}
		if (strcmp(name, "package") == 0 && !c->package_seen) {
			c->package_seen = 1;
			m->package_id = mum_attr(na, attrs, "identifier");
			m->release_type = mum_attr(na, attrs, "releaseType");
			m->restart = mum_attr(na, attrs, "restart");
			m->permanence = mum_attr(na, attrs, "permanence");
			m->self_update = mum_attr(na, attrs, "selfUpdate");
			m->target_partition = mum_attr(na, attrs,
			    "targetPartition");
			m->applicability_evaluation = mum_attr(na, attrs,
			    "applicabilityEvaluation");
			return E_PACKAGE;
		}
		if (strcmp(name, "dependency") == 0)
			return E_DEPENDENCY;
		return E_OTHER;
	case E_PACKAGE:
		return mum_start_package(c, name, na, attrs);
	case E_PARENT:
		if (strcmp(name, "assemblyIdentity") == 0 && c->parent_open)
			mum_add_identity(c, &m->parents[m->nparents - 1].ids,
			    &m->parents[m->nparents - 1].nids, &c->a_pids, na,
			    attrs);
		return E_OTHER;
	case E_DEPENDENCY:
		if (strcmp(name, "assemblyIdentity") == 0)
			mum_add_identity(c, &m->dependencies,
			    &m->ndependencies, &c->a_deps, na, attrs);
		return E_DEPENDENCY;
	case E_UPDATE:
		u = c->update_open ? &m->updates[m->nupdates - 1] : NULL;
		if (strcmp(name, "component") == 0) {
			c->member_kind = MUM_MEMBER_COMPONENT;
			return E_MEMBER;
		}
		if (strcmp(name, "package") == 0) {
			c->member_kind = MUM_MEMBER_PACKAGE;
			return E_MEMBER;
		}
		if (strcmp(name, "driver") == 0) {
			c->member_kind = MUM_MEMBER_DRIVER;
			return E_MEMBER;
		}
		if (strcmp(name, "applicable") == 0 ||
		    strcmp(name, "selectable") == 0) {
			if (u != NULL && u->disposition == NULL)
				u->disposition = mum_attr(na, attrs,
				    "disposition");
			if (u != NULL && *name == 's')
				u->selectable = 1;
			return E_APPLICABLE;
		}
		return E_OTHER;
	case E_MEMBER:
		if (strcmp(name, "assemblyIdentity") == 0)
			mum_add_member(c, c->member_kind, na, attrs);
		return E_OTHER;
	case E_APPLICABLE:
		if (strcmp(name, "updateComponent") == 0)
			return E_UPDATE_COMPONENT;
		return E_OTHER;
	case E_UPDATE_COMPONENT:
		if (strcmp(name, "assemblyIdentity") == 0)
			mum_add_member(c, MUM_MEMBER_UPDATE_COMPONENT, na,
			    attrs);
		return E_OTHER;
	case E_DECLARE_CAP:
		if (strcmp(name, "capability") == 0)
			return E_CAPABILITY;
		return E_OTHER;
	case E_CAPABILITY:
		if (strcmp(name, "capabilityIdentity") == 0 &&
		    (s = mum_attr(na, attrs, "name")) != NULL) {
			cap = mum_grow(c, (void **)&m->capabilities,
			    &m->ncapabilities, &c->a_caps, sizeof *cap);
			if (cap != NULL)
				*cap = s;
			else
				free(s);
		}
		return E_OTHER;
	case E_OTHER:
		break;
	}
	return E_OTHER;
}

static void
mum_start(void *arg, const xmlChar *localname, const xmlChar *prefix,
    const xmlChar *uri, int nns, const xmlChar **ns, int na, int ndef,
    const xmlChar **attrs)
{
	struct mum_ctx	*c = arg;
	const char	*name = (const char *)localname;
	enum mum_elem	 kind;
	char		*s;

	if (c->error != NULL)
		return;
	if (c->depth >= NTM_MAX_MUM_DEPTH) {
		mum_fail(c, "elements nested over %d deep (a package manifest "
		    "nests about 6)", NTM_MAX_MUM_DEPTH);
		return;
	}
	/* libxml2 reports a start tag the input ends in (no '>') before it
	 * says the tag is broken: name that tag. */
	if (mum_at_end(c) && c->ctxt->input->cur > c->ctxt->input->base &&
	    c->ctxt->input->cur[-1] != '>') {
		s = mum_clean(name, 64);
		mum_fail(c, "cut short: the file ends in the start tag <%s "
		    "at line %d", s, xmlSAX2GetLineNumber(c->ctxt));
		free(s);
		return;
	}
	if (c->depth == 0) {
		if (strcmp(name, "assembly") != 0) {
			s = mum_clean(name, 64);
			mum_fail(c, "the root element is <%s>, not <assembly>",
			    s);
			free(s);
			return;
		}
		c->root_seen = 1;
		c->m->display_name = mum_attr(na, attrs, "displayName");
		c->m->description = mum_attr(na, attrs, "description");
		c->m->support_info = mum_attr(na, attrs,
		    "supportInformation");
		c->m->created = mum_attr(na, attrs, "creationTimeStamp");
		kind = E_ASSEMBLY;
	} else
		kind = mum_classify(c, c->stack[c->depth], name, na, attrs);
	c->depth++;
	c->stack[c->depth] = kind;
	c->names[c->depth] = localname;
	c->lines[c->depth] = xmlSAX2GetLineNumber(c->ctxt);
}

static void
mum_end(void *arg, const xmlChar *localname, const xmlChar *prefix,
    const xmlChar *uri)
{
	struct mum_ctx	*c = arg;

	if (c->error != NULL || c->depth == 0)
		return;
	if (c->depth == 1)
		c->root_closed = 1;
	switch (c->stack[c->depth]) {
	case E_UPDATE:
		c->update_open = 0;
		break;
	case E_PARENT:
		c->parent_open = 0;
		break;
	default:
		break;
	}
	c->depth--;
}

/* "4d 5a 90 00"; caller frees. */
static char *
hex_bytes(const uint8_t *p, size_t n)
{
	char	*s;
	size_t	 i;

	s = xmalloc(n * 3 + 1);
	for (i = 0; i < n; i++)
		snprintf(s + i * 3, 4, "%02x ", p[i]);
	s[n > 0 ? n * 3 - 1 : 0] = '\0';
	return s;
}

/* Cheap refusals that say more than libxml2 would: nothing there, the
 * zeros a power cut leaves in a file whose data never reached the disk,
 * and binary that is not XML at all. */
static int
mum_precheck(const uint8_t *p, size_t len, char **cause)
{
	size_t	i, n;
	char	*hex;

	if (len == 0)
		return set_cause(cause, "empty (0 bytes)");
	if (len > NTM_MAX_MUM)
		return set_cause(cause, "%zu bytes, over the %zu MiB a "
		    "manifest may have", len, NTM_MAX_MUM >> 20);
	for (i = 0; i < len && p[i] == 0; i++)
		;
	if (i == len)
		return set_cause(cause, "%zu bytes, all zero (the data never "
		    "reached the disk, as after a power cut)", len);
	/* The same for the end only: the size was written, the last
	 * clusters were not. */
	for (n = len; n > 0 && p[n - 1] == 0; n--)
		;
	if (len - n >= NTM_MUM_ZERO_TAIL)
		return set_cause(cause, "%zu bytes, zero from byte %zu to the "
		    "end (the data never reached the disk, as after a power "
		    "cut)", len, n);
	/* UTF-16 (a BOM, or '<' next to a NUL): libxml2 decodes it. */
	if (len >= 2 && ((p[0] == 0xff && p[1] == 0xfe) || (p[0] == 0xfe &&
	    p[1] == 0xff) || (p[0] == '<' && p[1] == 0) || (p[0] == 0 &&
	    p[1] == '<')))
		return 0;
	i = 0;
	if (len >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
		i = 3;
	while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' ||
	    p[i] == '\n'))
		i++;
	if (i == len)
		return set_cause(cause, "%zu bytes of white space, no XML", len);
	if (p[i] != '<') {
		n = len - i < 8 ? len - i : 8;
		hex = hex_bytes(p + i, n);
		set_cause(cause, "not XML: begins with bytes %s%s", hex,
		    len - i > n ? " ..." : "");
		free(hex);
		return -1;
	}
	return 0;
}

/* The parsed tree must be a package manifest. */
static int
mum_postcheck(struct mum_ctx *c, char **cause)
{
	struct mum	*m = c->m;
	size_t		 i;

	if (!c->root_seen)
		return set_cause(cause, "malformed XML: no root element");
	if (!c->identity_seen)
		return set_cause(cause, "no <assemblyIdentity> in <assembly>");
	if (m->identity.name == NULL || *m->identity.name == '\0')
		return set_cause(cause, "<assemblyIdentity> has no name");
	if (m->identity.version == NULL || *m->identity.version == '\0')
		return set_cause(cause, "<assemblyIdentity> has no version");
	if (!c->package_seen)
		return set_cause(cause, "no <package> element: a component "
		    "manifest, not a package manifest");
	for (i = 0; i < m->ninstallers; i++) {
		if (m->installers[i].name != NULL &&
		    strcasecmp(m->installers[i].name,
		    "Microsoft-Windows-ServicingStack") == 0 &&
		    m->installers[i].version != NULL) {
			m->ss_required = m->installers[i].version;
			break;
		}
	}
	return 0;
}

/* The handler: SAX2 element events and errors, nothing that builds a
 * tree or reads a DTD. Everything else stays NULL. */
static void
mum_sax_init(xmlSAXHandler *sax)
{
	memset(sax, 0, sizeof *sax);
	sax->initialized = XML_SAX2_MAGIC;
	sax->startElementNs = mum_start;
	sax->endElementNs = mum_end;
	sax->internalSubset = mum_internal_subset;
	sax->externalSubset = mum_external_subset;
	sax->getEntity = mum_get_entity;
	sax->serror = mum_xml_error;
}

int
mum_parse(const void *buf, size_t len, struct mum **mp, char **cause)
{
	struct mum_ctx	 c;
	xmlSAXHandler	 sax, *oldsax;
	xmlParserCtxtPtr ctxt;
	const uint8_t	*p = buf;
	size_t		 i;
	int		 r = -1;

	*mp = NULL;
	if (mum_precheck(buf, len, cause) != 0)
		return -1;

	xmlInitParser();
	/* len <= NTM_MAX_MUM, far below INT_MAX. */
	if ((ctxt = xmlCreateMemoryParserCtxt(buf, (int)len)) == NULL)
		fatal("libxml2 cannot make a parser context");
	/* No network, no DTD loading, no entity substitution; options
	 * first, as xmlCtxtUseOptions edits the handler in place. */
	xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_NOERROR |
	    XML_PARSE_NOWARNING);
	ctxt->loadsubset = 0;
	ctxt->replaceEntities = 0;
	ctxt->validate = 0;

	memset(&c, 0, sizeof c);
	c.ctxt = ctxt;
	for (i = len; i > 0 && (p[i - 1] == '\0' || p[i - 1] == ' ' ||
	    p[i - 1] == '\t' || p[i - 1] == '\r' || p[i - 1] == '\n'); i--)
		;
	c.last = i > 0 ? p[i - 1] : -1;
	c.m = xcalloc(1, sizeof *c.m);
	mum_sax_init(&sax);
	oldsax = ctxt->sax;
	ctxt->sax = &sax;
	ctxt->userData = &c;
	xmlParseDocument(ctxt);
	ctxt->sax = oldsax;
	/* After a first error libxml2 goes on with SAX disabled, and its
	 * "expat compatibility" keeps entity declarations in a document it
	 * makes for them (xmlParseEntityDecl): ours to free. Nothing in it
	 * is expanded: mum_get_entity knows only the predefined five. */
	if (ctxt->myDoc != NULL) {
		xmlFreeDoc(ctxt->myDoc);
		ctxt->myDoc = NULL;
	}

	if (c.error == NULL && !ctxt->wellFormed)
		mum_xml_error(&c, &ctxt->lastError);
	if (c.error == NULL && !ctxt->wellFormed)
		c.error = xstrdup("malformed XML");
	if (c.error != NULL) {
		set_cause(cause, "%s", c.error);
		goto fail;
	}
	if (mum_postcheck(&c, cause) != 0)
		goto fail;
	*mp = c.m;
	c.m = NULL;
	r = 0;

fail:
	free(c.error);
	mum_free(c.m);
	xmlFreeParserCtxt(ctxt);
	return r;
}

static void
mum_identity_clear(struct mum_identity *id)
{
	free(id->name);
	free(id->version);
	free(id->arch);
	free(id->language);
	free(id->token);
	free(id->build_type);
}

void
mum_free(struct mum *m)
{
	size_t	i, j;

	if (m == NULL)
		return;
	mum_identity_clear(&m->identity);
	free(m->display_name);
	free(m->description);
	free(m->support_info);
	free(m->created);
	free(m->package_id);
	free(m->release_type);
	free(m->restart);
	free(m->permanence);
	free(m->self_update);
	free(m->target_partition);
	free(m->applicability_evaluation);
	for (i = 0; i < m->nparents; i++) {
		free(m->parents[i].disposition);
		free(m->parents[i].integrate);
		free(m->parents[i].build_compare);
		free(m->parents[i].revision_compare);
		for (j = 0; j < m->parents[i].nids; j++)
			mum_identity_clear(&m->parents[i].ids[j]);
		free(m->parents[i].ids);
	}
	free(m->parents);
	for (i = 0; i < m->ndependencies; i++)
		mum_identity_clear(&m->dependencies[i]);
	free(m->dependencies);
	for (i = 0; i < m->ninstallers; i++)
		mum_identity_clear(&m->installers[i]);
	free(m->installers);
	for (i = 0; i < m->nupdates; i++) {
		free(m->updates[i].name);
		free(m->updates[i].restart);
		free(m->updates[i].disposition);
	}
	free(m->updates);
	for (i = 0; i < m->nmembers; i++)
		mum_identity_clear(&m->members[i].id);
	free(m->members);
	for (i = 0; i < m->ncapabilities; i++)
		free(m->capabilities[i]);
	free(m->capabilities);
	free(m);
}

char *
mum_identity_string(const struct mum_identity *id)
{
	const char	*lang = id->language;

	/* CBS leaves the language field empty for neutral packages:
	 * "Package_for_RollupFix~31bf3856ad364e35~amd64~~19041.3803.1.8". */
	if (lang == NULL || strcasecmp(lang, "neutral") == 0)
		lang = "";
	return xprintf("%s~%s~%s~%s~%s", id->name ? id->name : "",
	    id->token ? id->token : "", id->arch ? id->arch : "", lang,
	    id->version ? id->version : "");
}

/* Compare one dotted part: numbers by value (any length), text as text,
 * a number before text. */
static int
mum_part_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t	i;
	int	an = alen > 0, bn = blen > 0, r;

	for (i = 0; i < alen; i++)
		an = an && a[i] >= '0' && a[i] <= '9';
	for (i = 0; i < blen; i++)
		bn = bn && b[i] >= '0' && b[i] <= '9';
	if (an && bn) {
		while (alen > 1 && *a == '0') {
			a++;
			alen--;
		}
		while (blen > 1 && *b == '0') {
			b++;
			blen--;
		}
		if (alen != blen)
			return alen < blen ? -1 : 1;
		r = memcmp(a, b, alen);
		return r < 0 ? -1 : r > 0;
	}
	if (an != bn)
		return an ? -1 : 1;
	r = strncmp(a, b, alen < blen ? alen : blen);
	if (r != 0)
		return r < 0 ? -1 : 1;
	return alen == blen ? 0 : alen < blen ? -1 : 1;
}

int
mum_version_cmp(const char *a, const char *b)
{
	size_t	alen, blen;
	int	r;

	if (a == NULL)
		a = "";
	if (b == NULL)
		b = "";
	while (*a != '\0' || *b != '\0') {
		alen = strcspn(a, ".");
		blen = strcspn(b, ".");
		/* A missing part is 0: "10.0" equals "10.0.0.0". */
		r = mum_part_cmp(alen ? a : "0", alen ? alen : 1,
		    blen ? b : "0", blen ? blen : 1);
		if (r != 0)
			return r;
		a += alen + (a[alen] == '.');
		b += blen + (b[blen] == '.');
	}
	return 0;
}

const char *
mum_member_kind_name(enum mum_member_kind k)
{
	switch (k) {
	case MUM_MEMBER_COMPONENT:
		return "component";
	case MUM_MEMBER_PACKAGE:
		return "package";
	case MUM_MEMBER_DRIVER:
		return "driver";
	case MUM_MEMBER_UPDATE_COMPONENT:
		return "updateComponent";
	}
	return "unknown";
}
