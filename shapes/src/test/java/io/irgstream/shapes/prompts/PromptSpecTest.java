package io.irgstream.shapes.prompts;

import io.irgstream.shapes.eval.DetectedObject;
import io.irgstream.shapes.think.PlanSampler;
import io.irgstream.shapes.world.Color;
import io.irgstream.shapes.world.Relation;
import io.irgstream.shapes.world.Scene;
import io.irgstream.shapes.world.Shape;
import org.junit.jupiter.api.Test;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The prompt language v2 of docs/shapes-world.md: parsing, categories, rejections, scoring and plans. */
class PromptSpecTest {
    @Test
    void shouldPutEachExampleOfTheWorldTableInItsCategory() {
        Map<String, Category> examples = new java.util.LinkedHashMap<>();
        examples.put("a photo of a circle", Category.SINGLE_OBJECT);
        examples.put("a photo of a red circle", Category.COLORS);
        examples.put("a photo of three squares", Category.COUNTING);
        examples.put("a photo of a circle and a square", Category.TWO_OBJECT);
        examples.put("a photo of a red circle and a blue square", Category.COLOR_ATTR);
        examples.put("a photo of a circle left of a square", Category.POSITION);
        examples.put("two yellow crosses and a red circle", Category.COLOR_COUNT);
        examples.put("a green triangle above a pink diamond", Category.COLOR_POSITION);
        examples.put("a large red circle above a small blue square", Category.SIZE);
        examples.put("a small white cross left of a purple diamond and two orange circles", Category.COMPLEX);
        examples.put("one red circle", Category.COMPLEX);
        examples.put("An image of a circle to the left of a square.", Category.POSITION);
        examples.put("a big circle, a square", Category.SIZE);
        for (Map.Entry<String, Category> e : examples.entrySet()) {
            assertThat(PromptSpec.parse(e.getKey()).category()).as(e.getKey()).isEqualTo(e.getValue());
        }
    }

    @Test
    void shouldReadWhatUsersTypeTheSameAsTheCanonicalForm() {
        PromptSpec canonical = PromptSpec.parse("a large red circle left of a small blue square and two yellow crosses");
        for (String typed : List.of("A photo of a big red circle to the left of a small blue square, and two yellow"
                        + " crosses.", "  a picture of   a LARGE red circle left of a small blue square , two yellow crosses",
                "a drawing of a large red circle to the left of a small blue square and two yellow crosses")) {
            assertThat(PromptSpec.parse(typed)).as(typed).isEqualTo(canonical);
        }
        assertThat(canonical.text()).isEqualTo("a large red circle left of a small blue square and two yellow crosses");
        assertThat(canonical.objectCount()).isEqualTo(4);
        assertThat(PromptSpec.parse("an orange circle").phrases().get(0).color()).isEqualTo(Color.ORANGE);
    }

    @Test
    void shouldParseBackEverySurfaceFormOfSampledPromptsOfEveryCategory() {
        Random rnd = new Random(7);
        Map<Category, Integer> seen = new EnumMap<>(Category.class);
        for (int i = 0; i < 3000; i++) {
            Category c = Category.values()[i % Category.values().length];
            PromptSpec p = PromptSpec.sample(c, rnd);
            assertThat(p.category()).isEqualTo(c);
            String typed = p.surface(rnd);
            assertThat(PromptSpec.parse(typed)).as(typed).isEqualTo(p);
            assertThat(PromptSpec.parse(p.text())).isEqualTo(p);
            seen.merge(c, 1, Integer::sum);
        }
        assertThat(seen).hasSize(10);
    }

    @Test
    void shouldRejectPromptsOutsideTheLanguageNamingTheProblemWithAnExample() {
        Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put("a purple elephant", "unknown word \"elephant\": the shapes are circle, square, triangle, diamond,"
                + " cross; the colors are red, orange, yellow, green, blue, purple, pink, white; the sizes are small,"
                + " large; e.g. \"");
        cases.put("two circles and two squares and a triangle", "the prompt names 5 objects; at most 4 are allowed");
        cases.put("five circles", "\"five\" is more than the prompt language counts");
        cases.put("a circle left of two squares", "a relation compares single objects (\"a\" or \"one\"), not \"two"
                + " squares\"; e.g. \"a circle left of a square\"");
        cases.put("a red large circle", "the size goes before the color: \"a large red ...\", e.g. \"a large red circle\"");
        cases.put("two circles and a red circle", "contradictory prompt: \"two circles\" allows exactly 2 such objects"
                + " but \"a red circle\" needs another");
        cases.put("a circle left of a square above a triangle", "chained relations are outside the language");
        cases.put("two circle", "\"two\" needs the plural: \"two circles\"");
        cases.put("a circles", "\"a\" needs the singular: \"a circle\"");
        cases.put("red circle", "each object starts with \"a\", \"one\", \"two\", \"three\" or \"four\"");
        cases.put("a red", "expected a shape (circle, square, triangle, diamond, cross) in an object, got the end");
        cases.put("a circle and", "an \"and\" or a comma has no object after it");
        cases.put("a circle square", "expected \"and\", a comma or a relation after \"a circle\", got \"square\"");
        cases.put("a circle left a square", "write \"left of\"");
        cases.put("", "the prompt is empty");
        cases.put("a photo of", "the prompt names no object");
        for (Map.Entry<String, String> e : cases.entrySet()) {
            assertThatThrownBy(() -> PromptSpec.parse(e.getKey())).as(e.getKey()).isInstanceOf(PromptException.class)
                    .hasMessageContaining(e.getValue());
            assertThat(PromptSpec.problem(e.getKey())).contains(e.getValue());
        }
    }

    private static DetectedObject obj(Shape s, Color c, int cx, int cy, int side) {
        return new DetectedObject(s, c, cx, cy, side, side * side);
    }

    @Test
    void shouldScoreExactCountsSizesAndColoredRelationsAllAtOnce() {
        PromptSpec p = PromptSpec.parse("a large red circle above a small blue square and two yellow crosses");
        DetectedObject circle = obj(Shape.CIRCLE, Color.RED, 20, 12, 18);
        DetectedObject square = obj(Shape.SQUARE, Color.BLUE, 22, 40, 12);
        DetectedObject x1 = obj(Shape.CROSS, Color.YELLOW, 50, 10, 14);
        DetectedObject x2 = obj(Shape.CROSS, Color.YELLOW, 50, 40, 14);
        assertThat(p.passes(List.of(circle, square, x1, x2))).isTrue();
        assertThat(p.passes(List.of(circle, square, x1, x2, obj(Shape.TRIANGLE, Color.RED, 40, 56, 10))))
                .as("an object the prompt does not name is allowed").isTrue();
        assertThat(p.passes(List.of(circle, square, x1, x2, obj(Shape.CROSS, Color.YELLOW, 30, 56, 10))))
                .as("a third yellow cross breaks 'two'").isFalse();
        assertThat(p.passes(List.of(circle, square, x1, x2, obj(Shape.CROSS, Color.RED, 30, 56, 10))))
                .as("a red cross does not count as yellow").isTrue();
        assertThat(p.passes(List.of(circle, square, x1))).isFalse();
        assertThat(p.passes(List.of(obj(Shape.CIRCLE, Color.RED, 20, 12, 15), square, x1, x2)))
                .as("15 px is not large").isFalse();
        assertThat(p.passes(List.of(obj(Shape.CIRCLE, Color.RED, 20, 12, 16), square, x1, x2)))
                .as("16 px reads as large (1 px tolerance)").isTrue();
        assertThat(p.passes(List.of(circle, obj(Shape.SQUARE, Color.BLUE, 22, 15, 12), x1, x2)))
                .as("3 px apart is not above").isFalse();
        assertThat(p.passes(List.of(circle, obj(Shape.SQUARE, Color.GREEN, 22, 40, 12), x1, x2))).isFalse();
    }

    @Test
    void shouldNeedDistinctObjectsForEveryPhraseAndFindTheAssignmentThatWorks() {
        PromptSpec p = PromptSpec.parse("a circle left of a circle");
        assertThat(p.passes(List.of(obj(Shape.CIRCLE, Color.RED, 20, 20, 14)))).isFalse();
        assertThat(p.passes(List.of(obj(Shape.CIRCLE, Color.RED, 40, 20, 14), obj(Shape.CIRCLE, Color.RED, 20, 20, 14))))
                .isTrue();
        PromptSpec q = PromptSpec.parse("a red circle and a circle left of a square");
        // the left circle must be the red one's partner, so the assignment has to pick the blue circle for the relation
        assertThat(q.passes(List.of(obj(Shape.CIRCLE, Color.RED, 50, 10, 14), obj(Shape.CIRCLE, Color.BLUE, 10, 40, 14),
                obj(Shape.SQUARE, Color.RED, 40, 40, 14)))).isTrue();
        assertThat(q.passes(List.of(obj(Shape.CIRCLE, Color.RED, 10, 40, 14), obj(Shape.SQUARE, Color.RED, 40, 40, 14))))
                .as("one circle cannot be both phrases").isFalse();
        assertThat(PromptSpec.parse("one circle").passes(List.of(obj(Shape.CIRCLE, Color.RED, 10, 10, 14),
                obj(Shape.CIRCLE, Color.RED, 40, 40, 14)))).isFalse();
    }

    @Test
    void shouldSamplePlansThatSatisfyTheirPromptForEveryCategory() {
        Random rnd = new Random(11);
        for (int i = 0; i < 2000; i++) {
            PromptSpec p = PromptSpec.sample(Category.values()[i % 10], rnd);
            Scene plan = PlanSampler.sample(p, rnd);
            assertThat(plan.objects()).hasSize(p.objectCount());
            assertThat(p.satisfiedBy(plan.objects())).as(p.text()).isTrue();
            assertThat(p.passes(io.irgstream.shapes.think.ThinkQuality.asDetected(plan))).as(p.text()).isTrue();
        }
        PromptSpec p = PromptSpec.parse("two red circles and a circle");
        for (int i = 0; i < 200; i++) {
            Scene plan = PlanSampler.sample(p, rnd);
            assertThat(plan.objects().get(2).color()).as("the third circle is not red").isNotEqualTo(Color.RED);
        }
    }

    @Test
    void shouldKeepRelationsAsConsecutivePhrasePairs() {
        PromptSpec p = PromptSpec.parse("a circle and a red square below a green cross");
        assertThat(p.relations()).containsExactly(new RelationClause(1, Relation.BELOW, 2));
        assertThat(p.slots()).containsExactly(0, 1, 2);
        assertThat(p.category()).isEqualTo(Category.COMPLEX);
    }
}
