/*
 * test_segment.c - chunking: Korean sentence cases (endings, numbers,
 * ellipses, quotes and brackets, missing spaces, lists, abbreviations), lines,
 * paragraphs, word windows and tokenizer windows (fixture tokenizer).
 */
#include <stdint.h>

#include "common/err.h"
#include "ingest/segment.h"
#include "ingest/tokenizer/tokenizer.h"
#include "tests/check.h"

/* split text and compare with want[] (NULL-terminated) */
static int check_split(const struct seg_options *o, const char *text, const char *const *want)
{
    struct seg_spans sp = { 0 };
    int bad = 0;
    if (seg_split(o, text, strlen(text), &sp) < 0) {
        printf("  seg_split failed: %s\n", err_msg());
        return 1;
    }
    size_t n = 0;
    while (want[n]) n++;
    if (sp.n != n) bad = 1;
    for (size_t i = 0; i < sp.n && i < n; i++) {
        size_t len = sp.v[i].end - sp.v[i].start;
        if (len != strlen(want[i]) || memcmp(text + sp.v[i].start, want[i], len)) bad = 1;
    }
    if (bad) {
        printf("  input: %s\n", text);
        for (size_t i = 0; i < sp.n; i++)
            printf("  got  [%zu] %.*s\n", i, (int)(sp.v[i].end - sp.v[i].start), text + sp.v[i].start);
        for (size_t i = 0; i < n; i++) printf("  want [%zu] %s\n", i, want[i]);
    }
    seg_spans_release(&sp);
    return bad;
}

#define SPLIT(o, text, ...)                                                  \
    do {                                                                     \
        const char *const w_[] = { __VA_ARGS__, NULL };                      \
        if (check_split(o, text, w_)) T_FAIL("split of \"%s\" differs", text); \
    } while (0)

int main(void)
{
    struct seg_options s = SEG_OPTIONS_INIT;

    TEST("sentences: Korean endings 다. 요. 까?") {
        SPLIT(&s, "오늘은 날씨가 좋다. 내일은 비가 온대요. 정말일까? 그렇겠지!",
              "오늘은 날씨가 좋다.", "내일은 비가 온대요.", "정말일까?", "그렇겠지!");
    }
    TEST("sentences: numbers are not ends") {
        SPLIT(&s, "원주율은 3.14이다. 2024.1.1에 시작했다. 약 1.5배 늘었다.",
              "원주율은 3.14이다.", "2024.1.1에 시작했다.", "약 1.5배 늘었다.");
    }
    TEST("sentences: no space after a Korean ending") {
        SPLIT(&s, "좋았다.그런데 비가 왔다.그래서 집에 갔다.", "좋았다.", "그런데 비가 왔다.", "그래서 집에 갔다.");
        SPLIT(&s, "www.naver.com에 들어갔다. 끝.", "www.naver.com에 들어갔다.", "끝.");
    }
    TEST("sentences: quotes and brackets") {
        SPLIT(&s, "그가 \"안녕하세요. 반갑습니다.\"라고 말했다. 나도 웃었다.",
              "그가 \"안녕하세요. 반갑습니다.\"라고 말했다.", "나도 웃었다.");
        SPLIT(&s, "그는 \"좋아요.\" 하고 웃었다.", "그는 \"좋아요.\" 하고 웃었다.");
        SPLIT(&s, "그녀가 말했다. \"정말요?\" 나는 놀랐다.", "그녀가 말했다.", "\"정말요?\"", "나는 놀랐다.");
        SPLIT(&s, "그는 “알겠다.” 라고 답했다. 다음 날 떠났다.", "그는 “알겠다.” 라고 답했다.", "다음 날 떠났다.");
        SPLIT(&s, "(괄호 안의 문장. 계속) 밖의 문장이다. 끝", "(괄호 안의 문장. 계속) 밖의 문장이다.", "끝");
        SPLIT(&s, "「인용. 문장」이라고 했다. 그리고 갔다.", "「인용. 문장」이라고 했다.", "그리고 갔다.");
        SPLIT(&s, "그가 물었다(정말인가?). 아니다.", "그가 물었다(정말인가?).", "아니다.");
    }
    TEST("sentences: ellipses") {
        SPLIT(&s, "그래서... 나는 갔다. 그리고 끝났다...", "그래서... 나는 갔다.", "그리고 끝났다...");
        SPLIT(&s, "정말 좋았다... 다음에 또 오자.", "정말 좋았다...", "다음에 또 오자.");
        SPLIT(&s, "음… 글쎄요… 모르겠어요.", "음… 글쎄요…", "모르겠어요.");
        SPLIT(&s, "뭐라고...? 다시 말해 봐.", "뭐라고...?", "다시 말해 봐.");
    }
    TEST("sentences: lists, abbreviations, repeated marks, lines") {
        SPLIT(&s, "1. 첫째 항목이다. 2. 둘째 항목이다.", "1. 첫째 항목이다.", "2. 둘째 항목이다.");
        SPLIT(&s, "Dr. Kim은 서울에 산다. 그는 의사다.", "Dr. Kim은 서울에 산다.", "그는 의사다.");
        SPLIT(&s, "정말?! 대박이다!! 와.", "정말?!", "대박이다!!", "와.");
        SPLIT(&s, "첫 줄 문장\n둘째 줄. 셋째 문장\r\n\n  넷째  ", "첫 줄 문장", "둘째 줄.", "셋째 문장", "넷째");
        SPLIT(&s, "   ", NULL);
        SPLIT(&s, "마침표 없는 문장", "마침표 없는 문장");
        SPLIT(&s, "중국식。 마침표！ 물음표？ 끝", "중국식。", "마침표！", "물음표？", "끝");
    }
    TEST("doc, line, paragraph") {
        struct seg_options o = s;
        o.mode = SEG_DOC;
        SPLIT(&o, "  한 문서. 전체가\n하나다.\n", "한 문서. 전체가\n하나다.");
        o.mode = SEG_LINE;
        SPLIT(&o, "a\n\n b \nc", "a", "b", "c");
        o.mode = SEG_PARAGRAPH;
        SPLIT(&o, "첫 문단\n이어짐\n\n둘째 문단\n  \n\n셋째\n", "첫 문단\n이어짐", "둘째 문단", "셋째");
    }
    TEST("word windows with overlap") {
        struct seg_options o = s;
        o.mode = SEG_WINDOW;
        o.window = 4;
        o.overlap = 1;
        SPLIT(&o, "w1 w2 w3 w4 w5 w6 w7 w8 w9 w10", "w1 w2 w3 w4", "w4 w5 w6 w7", "w7 w8 w9 w10");
        SPLIT(&o, "w1 w2  w3\nw4 w5", "w1 w2  w3\nw4", "w4 w5");
        SPLIT(&o, "짧은 문서", "짧은 문서");
        o.overlap = 4;
        struct seg_spans sp = { 0 };
        CHECK_INT(seg_split(&o, "a b", 3, &sp), ERR_INVALID);
        seg_spans_release(&sp);
    }
    TEST("tokenizer windows: spans cover whole tokens") {
        const char *fx = fixtures_dir();
        if (!fx) { SKIP("no fixtures"); break; }
        char dir[600];
        snprintf(dir, sizeof dir, "%s/bert-tiny-ko/model", fx);
        struct tok *t = NULL;
        if (tok_load(dir, &t) < 0) { SKIP("cannot load tokenizer: %s", err_msg()); break; }
        const char *text = "한국어 문장을 토큰 창으로 나눕니다. 겹치는 부분도 있습니다.";
        struct tok_encoding e = TOK_ENCODING_INIT;
        CHECK_OK(tok_encode(t, text, strlen(text), TOK_OFFSETS | TOK_NO_TRUNCATE | TOK_NO_SPECIAL, &e));
        struct seg_options o = { SEG_WINDOW, 5, 2, t };
        struct seg_spans sp = { 0 };
        CHECK_OK(seg_split(&o, text, strlen(text), &sp));
        size_t want = e.n <= 5 ? 1 : (e.n - 5 + 2) / 3 + 1;
        CHECK_INT(sp.n, want);
        CHECK_INT(sp.v[0].start, e.offsets[0]);
        CHECK_INT(sp.v[0].end, e.offsets[2 * 4 + 1]);
        CHECK_INT(sp.v[1].start, e.offsets[2 * 3]);
        CHECK_INT(sp.v[sp.n - 1].end, e.offsets[2 * (e.n - 1) + 1]);
        seg_spans_release(&sp);
        tok_encoding_release(&e);
        tok_free(t);
    }
    return test_summary();
}
