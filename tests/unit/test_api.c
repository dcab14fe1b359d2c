/* SPDX-License-Identifier: MIT */
/* Unit tests for user/api.c: API families, host classes, regions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "api.h"

struct family_case {
	const char *authority;
	const char *path;
	enum api_family want;
};

static void check_families(const struct family_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		enum api_family got = api_classify(cases[i].authority, cases[i].path);
		if (got != cases[i].want)
			fail_msg("api_classify(\"%s\", \"%s\") = %s, want %s",
				 cases[i].authority ? cases[i].authority : "(null)",
				 cases[i].path ? cases[i].path : "(null)", api_family_name(got),
				 api_family_name(cases[i].want));
	}
}

#define CHECK_FAMILIES(c) check_families((c), sizeof(c) / sizeof((c)[0]))

static void test_anthropic(void **state)
{
	static const struct family_case cases[] = {
		{ "api.anthropic.com", "/v1/messages", API_ANTHROPIC },
		{ "API.Anthropic.COM:443", "/v1/messages?beta=true", API_ANTHROPIC },
		{ "api.anthropic.com.", "/v1/models", API_ANTHROPIC },
		{ "api.anthropic.com", "/v1/oauth/token", API_ANTHROPIC }, /* host decides */
		{ "api.anthropic.com", NULL, API_ANTHROPIC },
		/* behind gateways and base-URL prefixes */
		{ "localhost:4000", "/v1/messages", API_ANTHROPIC },
		{ "gateway.example.com", "/anthropic/v1/messages", API_ANTHROPIC },
		{ "openrouter.ai", "/api/v1/messages?beta=true", API_ANTHROPIC },
		{ "llm.corp.internal", "/v1/messages/count_tokens", API_ANTHROPIC },
		{ "proxy", "/v1/complete", API_ANTHROPIC },
		{ "proxy", "/v1/models", API_ANTHROPIC },
		{ "proxy", "/v1/models/claude-sonnet-4-5", API_ANTHROPIC },
		{ "proxy", "/v1/messages/", API_ANTHROPIC },
		{ "gateway.ai.cloudflare.com", "/v1/acct/gw/anthropic/v1/messages", API_ANTHROPIC },
		{ NULL, "/v1/messages", API_ANTHROPIC },
		{ "", "/v1/messages#frag", API_ANTHROPIC },
	};
	CHECK_FAMILIES(cases);
}

static void test_bedrock(void **state)
{
	static const struct family_case cases[] = {
		{ "bedrock-runtime.us-east-1.amazonaws.com", "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/invoke", API_BEDROCK },
		{ "bedrock-runtime.eu-central-1.amazonaws.com:443", "/", API_BEDROCK },
		{ "BEDROCK-RUNTIME.US-WEST-2.AMAZONAWS.COM", NULL, API_BEDROCK },
		{ "bedrock-runtime-fips.us-gov-west-1.amazonaws.com", "/model/x/converse", API_BEDROCK },
		{ "bedrock-runtime.cn-north-1.amazonaws.com.cn", "/model/x/invoke", API_BEDROCK },
		{ "bedrock-mantle.us-east-1.api.aws", "/anthropic/v1/messages", API_BEDROCK },
		{ "bedrock-mantle.eu-west-1.api.aws", "/openai/v1/chat/completions", API_BEDROCK },
		/* path forms on other hosts */
		{ "gateway.local", "/model/m/invoke", API_BEDROCK },
		{ "gw.example.com", "/bedrock/model/us.anthropic.claude-sonnet-4-5-v1:0/invoke-with-response-stream", API_BEDROCK },
		{ "gw.example.com", "/model/m/converse", API_BEDROCK },
		{ "gw.example.com", "/model/m/converse-stream", API_BEDROCK },
		{ "gw.example.com", "/model/m/count-tokens?x=1", API_BEDROCK },
		{ "gw.example.com", "/model/arn:aws:bedrock:us-east-1:123:inference-profile/us.x/invoke", API_BEDROCK },
		/* not Bedrock */
		{ "gw.example.com", "/model//invoke", API_UNKNOWN },
		{ "gw.example.com", "/model/invoke", API_UNKNOWN },
		{ "gw.example.com", "/model/m/predict", API_UNKNOWN },
		{ "bedrock.us-east-1.amazonaws.com", "/foundation-models", API_UNKNOWN }, /* control plane */
		{ "bedrock-runtime.amazonaws.com", "/", API_UNKNOWN },                  /* no region */
		{ "bedrock-runtime.us.east.amazonaws.com", "/", API_UNKNOWN },          /* two labels */
	};
	CHECK_FAMILIES(cases);
}

static void test_vertex(void **state)
{
	static const struct family_case cases[] = {
		{ "us-east5-aiplatform.googleapis.com", "/v1/projects/p/locations/us-east5/publishers/anthropic/models/claude-sonnet-4-5:rawPredict", API_VERTEX },
		{ "europe-west1-aiplatform.googleapis.com", "/", API_VERTEX },
		{ "aiplatform.googleapis.com", "/v1/projects/p/locations/global/publishers/anthropic/models/m:streamRawPredict", API_VERTEX },
		{ "aiplatform.us.rep.googleapis.com", NULL, API_VERTEX },
		{ "gw.example.com", "/vertex/v1/projects/p/locations/r/publishers/anthropic/models/m:streamRawPredict", API_VERTEX },
		{ "gw.example.com", "/v1/projects/p/locations/r/publishers/anthropic/models/count-tokens:rawPredict", API_VERTEX },
		{ "gw.example.com", "/v1/projects/p/locations/r/publishers/google/models/gemini:rawPredict", API_UNKNOWN },
		{ "gw.example.com", "/v1/projects/p/locations/r/publishers/anthropic/models/m:generateContent", API_UNKNOWN },
		{ "notaiplatform.googleapis.com", "/", API_UNKNOWN },
	};
	CHECK_FAMILIES(cases);
}

static void test_foundry_and_azure(void **state)
{
	static const struct family_case cases[] = {
		{ "myres.services.ai.azure.com", "/anthropic/v1/messages", API_FOUNDRY },
		{ "MyRes.services.ai.azure.com:443", "/anthropic/v1/messages?x", API_FOUNDRY },
		{ "myres.services.ai.azure.com", NULL, API_FOUNDRY },
		{ "myres.services.ai.azure.com", "/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21", API_AZURE_OPENAI },
		{ "myres.services.ai.azure.com", "/openai/v1/responses", API_AZURE_OPENAI },
		{ "services.ai.azure.com", "/anthropic/v1/messages", API_ANTHROPIC }, /* no resource: not the host */
		{ "myres.openai.azure.com", "/openai/deployments/d/chat/completions?api-version=2024-10-21", API_AZURE_OPENAI },
		{ "myres.openai.azure.com", "/", API_AZURE_OPENAI },
		{ "myres.cognitiveservices.azure.com", "/openai/deployments/d/embeddings", API_AZURE_OPENAI },
		{ "apim.example.com", "/openai/deployments/d/chat/completions", API_AZURE_OPENAI },
	};
	CHECK_FAMILIES(cases);
}

static void test_claude_platform_aws(void **state)
{
	static const struct family_case cases[] = {
		{ "aws-external-anthropic.us-west-2.api.aws", "/v1/messages", API_CLAUDE_PLATFORM_AWS },
		{ "aws-external-anthropic.eu-west-1.api.aws:443", NULL, API_CLAUDE_PLATFORM_AWS },
		{ "aws-external-anthropic.api.aws", "/v1/messages", API_ANTHROPIC },
	};
	CHECK_FAMILIES(cases);
}

static void test_openai(void **state)
{
	static const struct family_case cases[] = {
		{ "api.openai.com", "/v1/chat/completions", API_OPENAI },
		{ "api.openai.com", "/v1/messages", API_OPENAI }, /* provider host decides */
		{ "api.openai.com", "/v1/models", API_OPENAI },
		{ "localhost:4000", "/v1/chat/completions", API_OPENAI },
		{ "openrouter.ai", "/api/v1/chat/completions", API_OPENAI },
		{ "proxy", "/v1/responses", API_OPENAI },
		{ "proxy", "/v1/embeddings", API_OPENAI },
		{ "proxy", "/v1/completions?x=1", API_OPENAI },
		{ "proxy", "/openai/v1/chat/completions", API_OPENAI },
	};
	CHECK_FAMILIES(cases);
}

static void test_unknown_and_odd_inputs(void **state)
{
	static const struct family_case cases[] = {
		{ NULL, NULL, API_UNKNOWN },
		{ "", "", API_UNKNOWN },
		{ "example.com", "/", API_UNKNOWN },
		{ "example.com", "/v1/messagesx", API_UNKNOWN },
		{ "example.com", "/v1/messages-old", API_UNKNOWN },
		{ "example.com", "/x?next=/v1/messages", API_UNKNOWN }, /* query is not the path */
		{ "example.com", "v1/messages", API_UNKNOWN },           /* no segment boundary */
		{ "[::1]:8080", "/v1/messages", API_ANTHROPIC },
		{ "[::1]", "/v1/chat/completions", API_OPENAI },
		{ "::1", "/v1/messages", API_ANTHROPIC },
		{ "[", "/v1/messages", API_ANTHROPIC },
		{ "user@api.anthropic.com:443", NULL, API_ANTHROPIC },
		{ " api.anthropic.com\t", "/x", API_ANTHROPIC },
		{ "x..services.ai.azure.com", "/anthropic/v1/messages", API_ANTHROPIC },
		{ "example.com", "invoke", API_UNKNOWN },
		{ "example.com", "*", API_UNKNOWN },
		/* absolute-form target (plain-HTTP forward proxy) */
		{ NULL, "http://api.anthropic.com/v1/messages", API_ANTHROPIC },
		{ "", "https://bedrock-runtime.us-east-1.amazonaws.com/", API_BEDROCK },
		{ "proxy", "http://x.example/v1/chat/completions", API_OPENAI },
	};
	char longhost[2000];

	CHECK_FAMILIES(cases);
	memset(longhost, 'a', sizeof(longhost) - 1);
	longhost[sizeof(longhost) - 1] = '\0';
	assert_int_equal(api_classify(longhost, "/v1/messages"), API_ANTHROPIC);
	assert_int_equal(host_classify(longhost), HOST_OTHER);
}

/* ------------------------------------------------------------------------ */

struct class_case {
	const char *authority;
	enum host_class want;
};

static void test_host_classes(void **state)
{
	static const struct class_case cases[] = {
		{ "localhost", HOST_LOOPBACK },
		{ "LOCALHOST:8080", HOST_LOOPBACK },
		{ "localhost.", HOST_LOOPBACK },
		{ "127.0.0.1", HOST_LOOPBACK },
		{ "127.1.2.3:4000", HOST_LOOPBACK },
		{ "127.1", HOST_LOOPBACK },
		{ "0.0.0.0:8080", HOST_LOOPBACK },
		{ "[::1]:443", HOST_LOOPBACK },
		{ "[::1]", HOST_LOOPBACK },
		{ "::1", HOST_LOOPBACK },
		{ "[::ffff:127.0.0.1]:80", HOST_LOOPBACK },
		{ "10.0.0.5", HOST_PRIVATE },
		{ "172.16.0.1:3128", HOST_PRIVATE },
		{ "172.31.255.255", HOST_PRIVATE },
		{ "192.168.1.10", HOST_PRIVATE },
		{ "169.254.169.254", HOST_PRIVATE },
		{ "100.64.0.7", HOST_PRIVATE },
		{ "[fd00::1]:8080", HOST_PRIVATE },
		{ "[fc00::1]", HOST_PRIVATE },
		{ "[fe80::1%25eth0]:80", HOST_PRIVATE },
		{ "[::ffff:10.1.2.3]", HOST_PRIVATE },
		{ "printer.local", HOST_PRIVATE },
		{ "llm.svc.cluster.local:4000", HOST_PRIVATE },
		{ "host.docker.internal:8080", HOST_PRIVATE },
		{ "app.localhost", HOST_PRIVATE },
		{ "proxy", HOST_PRIVATE },
		{ "proxy:8080", HOST_PRIVATE },
		{ "router.home.arpa", HOST_PRIVATE },
		{ "localhost.localdomain", HOST_PRIVATE },
		{ "api.anthropic.com", HOST_PROVIDER },
		{ "api.anthropic.com:443", HOST_PROVIDER },
		{ "bedrock-runtime.us-east-1.amazonaws.com", HOST_PROVIDER },
		{ "bedrock-mantle.us-east-1.api.aws", HOST_PROVIDER },
		{ "us-east5-aiplatform.googleapis.com", HOST_PROVIDER },
		{ "aiplatform.googleapis.com", HOST_PROVIDER },
		{ "res.services.ai.azure.com", HOST_PROVIDER },
		{ "aws-external-anthropic.us-west-2.api.aws", HOST_PROVIDER },
		{ "api.openai.com", HOST_PROVIDER },
		{ "res.openai.azure.com", HOST_PROVIDER },
		{ "example.com", HOST_OTHER },
		{ "gateway.ai.cloudflare.com", HOST_OTHER },
		{ "api.portkey.ai", HOST_OTHER },
		{ "openrouter.ai", HOST_OTHER },
		{ "anthropic.com", HOST_OTHER },
		{ "api.anthropic.com.evil.example", HOST_OTHER },
		{ "8.8.8.8", HOST_OTHER },
		{ "172.32.0.1", HOST_OTHER },
		{ "11.0.0.1", HOST_OTHER },
		{ "[2001:db8::1]:443", HOST_OTHER },
		{ "[not-an-ip]", HOST_OTHER },
		{ "1.2.3.4.5", HOST_OTHER },
		{ "9gag.com", HOST_OTHER },
		{ "0x7f.1", HOST_LOOPBACK },
		{ "[api.anthropic.com]", HOST_OTHER },
		{ "", HOST_OTHER },
		{ NULL, HOST_OTHER },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum host_class got = host_classify(cases[i].authority);
		if (got != cases[i].want)
			fail_msg("host_classify(\"%s\") = %s, want %s",
				 cases[i].authority ? cases[i].authority : "(null)",
				 host_class_name(got), host_class_name(cases[i].want));
	}
}

static void test_is_provider_host(void **state)
{
	assert_true(api_is_provider_host(API_ANTHROPIC, "api.anthropic.com"));
	assert_true(api_is_provider_host(API_ANTHROPIC, "API.ANTHROPIC.COM:443"));
	assert_false(api_is_provider_host(API_ANTHROPIC, "api.openai.com"));
	assert_false(api_is_provider_host(API_ANTHROPIC, "localhost"));
	assert_true(api_is_provider_host(API_BEDROCK, "bedrock-runtime.ap-southeast-2.amazonaws.com"));
	assert_true(api_is_provider_host(API_BEDROCK, "bedrock-mantle.us-east-1.api.aws"));
	assert_false(api_is_provider_host(API_BEDROCK, "aws-external-anthropic.us-east-1.api.aws"));
	assert_true(api_is_provider_host(API_VERTEX, "us-east5-aiplatform.googleapis.com"));
	assert_true(api_is_provider_host(API_VERTEX, "aiplatform.eu.rep.googleapis.com"));
	assert_true(api_is_provider_host(API_FOUNDRY, "res.services.ai.azure.com"));
	assert_false(api_is_provider_host(API_FOUNDRY, "res.openai.azure.com"));
	assert_true(api_is_provider_host(API_CLAUDE_PLATFORM_AWS, "aws-external-anthropic.us-east-1.api.aws"));
	assert_true(api_is_provider_host(API_OPENAI, "api.openai.com"));
	assert_true(api_is_provider_host(API_AZURE_OPENAI, "res.openai.azure.com"));
	assert_true(api_is_provider_host(API_AZURE_OPENAI, "res.services.ai.azure.com"));
	assert_false(api_is_provider_host(API_AZURE_OPENAI, "api.openai.com"));
	assert_false(api_is_provider_host(API_UNKNOWN, "api.anthropic.com"));
	assert_false(api_is_provider_host(API_FAMILY_COUNT, "api.anthropic.com"));
	assert_false(api_is_provider_host(API_ANTHROPIC, NULL));
	assert_false(api_is_provider_host(API_ANTHROPIC, ""));
}

static void test_host_region(void **state)
{
	static const struct {
		const char *authority;
		const char *region; /* NULL: none */
	} cases[] = {
		{ "bedrock-runtime.us-east-1.amazonaws.com", "us-east-1" },
		{ "BEDROCK-RUNTIME.EU-WEST-3.AMAZONAWS.COM:443", "eu-west-3" },
		{ "bedrock-runtime-fips.us-gov-west-1.amazonaws.com", "us-gov-west-1" },
		{ "bedrock-runtime.cn-north-1.amazonaws.com.cn", "cn-north-1" },
		{ "bedrock-mantle.eu-west-1.api.aws", "eu-west-1" },
		{ "aws-external-anthropic.us-west-2.api.aws", "us-west-2" },
		{ "us-east5-aiplatform.googleapis.com", "us-east5" },
		{ "aiplatform.eu.rep.googleapis.com", "eu" },
		{ "aiplatform.googleapis.com", NULL },
		{ "api.anthropic.com", NULL },
		{ "res.services.ai.azure.com", NULL },
		{ "res.openai.azure.com", NULL },
		{ "localhost", NULL },
		{ "", NULL },
		{ NULL, NULL },
	};
	char out[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool ok = api_host_region(cases[i].authority, out, sizeof(out));
		if (cases[i].region) {
			assert_true(ok);
			assert_string_equal(out, cases[i].region);
		} else {
			assert_false(ok);
			assert_string_equal(out, "");
		}
	}
	/* too small a buffer: false, still NUL-terminated */
	assert_false(api_host_region("bedrock-runtime.us-east-1.amazonaws.com", out, 9));
	assert_string_equal(out, "");
	assert_true(api_host_region("bedrock-runtime.us-east-1.amazonaws.com", out, 10));
	assert_string_equal(out, "us-east-1");
	assert_false(api_host_region("bedrock-runtime.us-east-1.amazonaws.com", NULL, 10));
	assert_false(api_host_region("bedrock-runtime.us-east-1.amazonaws.com", out, 0));
}

/*
 * api_classify() remembers the provider entry of recent authorities.  More
 * authorities than it keeps, in rotation, some a prefix of another or of
 * the same length, and one authority with paths that decide differently:
 * every answer must be the one for its own authority and path.
 */
static void test_classify_memo_is_exact(void **state)
{
	static const struct family_case rotation[] = {
		{ "api.anthropic.com", "/v1/chat/completions", API_ANTHROPIC },
		{ "api.anthropix.com", "/v1/chat/completions", API_OPENAI }, /* same length */
		{ "bedrock-runtime.us-east-1.amazonaws.com", "/v1/chat/completions", API_BEDROCK },
		{ "api.anthropic.co", "/v1/chat/completions", API_OPENAI },
		{ "api.anthropic.com:8443", "/v1/chat/completions", API_ANTHROPIC },
		{ "us-east5-aiplatform.googleapis.com", "/v1/chat/completions", API_VERTEX },
		{ "res.services.ai.azure.com", "/v1/chat/completions", API_FOUNDRY },
		{ "res.services.ai.azure.com", "/openai/deployments/d/chat/completions",
		  API_AZURE_OPENAI },
		{ "gateway.example.com", "/v1/chat/completions", API_OPENAI },
		{ "aws-external-anthropic.us-west-2.api.aws", "/v1/chat/completions",
		  API_CLAUDE_PLATFORM_AWS },
		{ "", "https://api.openai.com/v1/messages", API_OPENAI },
		{ "", "https://gateway.example.com/v1/messages", API_ANTHROPIC },
		{ "api.anthropic.com.", "/v1/chat/completions", API_ANTHROPIC },
	};

	for (int round = 0; round < 3; round++)
		CHECK_FAMILIES(rotation);
}

static void test_names(void **state)
{
	static const char *const fam[API_FAMILY_COUNT] = {
		"unknown", "anthropic", "bedrock", "vertex", "foundry", "claude-platform-aws",
		"openai", "azure-openai",
	};
	for (int f = 0; f < API_FAMILY_COUNT; f++)
		assert_string_equal(api_family_name((enum api_family)f), fam[f]);
	assert_string_equal(api_family_name(API_FAMILY_COUNT), "unknown");
	assert_string_equal(api_family_name((enum api_family)-3), "unknown");
	assert_string_equal(host_class_name(HOST_PROVIDER), "provider");
	assert_string_equal(host_class_name(HOST_LOOPBACK), "loopback");
	assert_string_equal(host_class_name(HOST_PRIVATE), "private");
	assert_string_equal(host_class_name(HOST_OTHER), "other");
	assert_string_equal(host_class_name((enum host_class)99), "other");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_anthropic),
		cmocka_unit_test(test_bedrock),
		cmocka_unit_test(test_vertex),
		cmocka_unit_test(test_foundry_and_azure),
		cmocka_unit_test(test_claude_platform_aws),
		cmocka_unit_test(test_openai),
		cmocka_unit_test(test_unknown_and_odd_inputs),
		cmocka_unit_test(test_host_classes),
		cmocka_unit_test(test_is_provider_host),
		cmocka_unit_test(test_host_region),
		cmocka_unit_test(test_classify_memo_is_exact),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests_name("api", tests, NULL, NULL);
}
