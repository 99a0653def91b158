package io.irgstream.app.security;

import io.irgstream.app.security.KafkaAcls.Role;
import io.irgstream.app.testing.InProcessCli;
import org.apache.kafka.common.acl.AclBinding;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KafkaAclsTest {
    static List<String> lines(List<AclBinding> acls) {
        return acls.stream().map(KafkaAcls::format).toList();
    }

    @Test
    void aThinkWorkerGetsExactlyWhatItUses() {
        assertThat(lines(KafkaAcls.defaults().forRole(Role.THINK))).containsExactly(
                "User:irg-think\tALLOW\tREAD\tTOPIC\tLITERAL\tirg.prompts\t*",
                "User:irg-think\tALLOW\tREAD\tTOPIC\tLITERAL\tirg.retry-think-1\t*",
                "User:irg-think\tALLOW\tREAD\tTOPIC\tLITERAL\tirg.retry-think-2\t*",
                "User:irg-think\tALLOW\tREAD\tTOPIC\tLITERAL\tirg.retry-think-3\t*",
                "User:irg-think\tALLOW\tREAD\tTOPIC\tLITERAL\tirg.cancellations\t*",
                "User:irg-think\tALLOW\tWRITE\tTOPIC\tLITERAL\tirg.thoughts\t*",
                "User:irg-think\tALLOW\tWRITE\tTOPIC\tLITERAL\tirg.retry-think-1\t*",
                "User:irg-think\tALLOW\tWRITE\tTOPIC\tLITERAL\tirg.retry-think-2\t*",
                "User:irg-think\tALLOW\tWRITE\tTOPIC\tLITERAL\tirg.retry-think-3\t*",
                "User:irg-think\tALLOW\tWRITE\tTOPIC\tLITERAL\tirg.dead-letters\t*",
                "User:irg-think\tALLOW\tWRITE\tTOPIC\tLITERAL\tirg.cancellations\t*",
                "User:irg-think\tALLOW\tDESCRIBE_CONFIGS\tTOPIC\tLITERAL\tirg.thoughts\t*",
                "User:irg-think\tALLOW\tREAD\tGROUP\tLITERAL\tirg-think\t*",
                "User:irg-think\tALLOW\tWRITE\tTRANSACTIONAL_ID\tPREFIXED\tirg-think-\t*");
    }

    @Test
    void reflectReadsDraftsAndFinalImagesOfEarlierRoundsAndOnlyTheTopologyWritesTrajectories() {
        KafkaAcls acls = KafkaAcls.defaults();
        assertThat(lines(acls.forRole(Role.REFLECT))).contains(
                "User:irg-reflect\tALLOW\tREAD\tTOPIC\tLITERAL\tirg.draft-images\t*",
                "User:irg-reflect\tALLOW\tREAD\tTOPIC\tLITERAL\tirg.final-images\t*",
                "User:irg-reflect\tALLOW\tWRITE\tTOPIC\tLITERAL\tirg.reflections\t*");
        for (Role r : Role.values()) {
            boolean writesTrajectories = lines(acls.forRole(r)).stream()
                    .anyMatch(l -> l.contains("\tWRITE\tTOPIC\tLITERAL\tirg.trajectories\t"));
            assertThat(writesTrajectories).as(r.id()).isEqualTo(r == Role.TOPOLOGY);
        }
        assertThat(lines(acls.forRole(Role.SUBMITTER))).containsExactly(
                "User:irg-submitter\tALLOW\tWRITE\tTOPIC\tLITERAL\tirg.prompts\t*",
                "User:irg-submitter\tALLOW\tWRITE\tTOPIC\tLITERAL\tirg.cancellations\t*",
                "User:irg-submitter\tALLOW\tWRITE\tTOPIC\tLITERAL\tirg.submissions\t*");
        assertThat(lines(acls.forRole(Role.TOPOLOGY))).contains(
                "User:irg-topology\tALLOW\tALL\tTOPIC\tPREFIXED\tirg-topology-\t*",
                "User:irg-topology\tALLOW\tREAD\tGROUP\tLITERAL\tirg-topology\t*",
                "User:irg-topology\tALLOW\tWRITE\tTRANSACTIONAL_ID\tPREFIXED\tirg-topology-\t*",
                "User:irg-topology\tALLOW\tREAD\tGROUP\tLITERAL\tirg-topology-webhooks\t*",
                "User:irg-topology\tALLOW\tWRITE\tTOPIC\tLITERAL\tirg.dead-letters\t*",
                "User:irg-topology\tALLOW\tREAD\tTOPIC\tLITERAL\tirg.submissions\t*",
                "User:irg-topology\tALLOW\tWRITE\tTOPIC\tLITERAL\tirg.prompts\t*");
        assertThat(lines(acls.forRole(Role.OPERATOR))).contains(
                "User:irg-operator\tALLOW\tREAD\tTOPIC\tLITERAL\tirg.dead-letters\t*",
                "User:irg-operator\tALLOW\tWRITE\tTRANSACTIONAL_ID\tPREFIXED\tirg.redrive-\t*")
                .noneMatch(l -> l.contains("\tWRITE\tTOPIC\tLITERAL\tirg.trajectories\t"));
    }

    @Test
    void followsTheTopicPrefixApplicationIdAndPrincipalsGiven() {
        KafkaAcls acls = new KafkaAcls("acme.", "acme-topology", Map.of(Role.DRAW, "User:CN=draw-gpu-pool"));
        assertThat(lines(acls.forRole(Role.DRAW))).contains(
                "User:CN=draw-gpu-pool\tALLOW\tREAD\tTOPIC\tLITERAL\tacme.thoughts\t*",
                "User:CN=draw-gpu-pool\tALLOW\tREAD\tGROUP\tLITERAL\tacme-draw\t*",
                "User:CN=draw-gpu-pool\tALLOW\tWRITE\tTRANSACTIONAL_ID\tPREFIXED\tacme-draw-\t*");
        assertThat(lines(acls.forRole(Role.TOPOLOGY))).contains(
                "User:irg-topology\tALLOW\tREAD\tGROUP\tLITERAL\tacme-topology\t*");
        assertThatThrownBy(() -> new KafkaAcls("irg.", "irg-topology", Map.of(Role.THINK, "irg-think")))
                .hasMessageContaining("needs a type, e.g. User:irg-think");
        assertThatThrownBy(() -> Role.parse("painter")).hasMessageContaining("no role 'painter'")
                .hasMessageContaining("think");
    }

    @Test
    void theCliPrintsTheAclsOfTheRolesAsked() {
        InProcessCli.Result r = InProcessCli.run("acls", "--print", "--role", "submitter,think",
                "--principal", "think=User:think-cert");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("# submitter (submitter: ./irg submit): User:irg-submitter")
                .contains("User:irg-submitter\tALLOW\tWRITE\tTOPIC\tLITERAL\tirg.prompts\t*",
                        "# think (think workers): User:think-cert",
                        "User:think-cert\tALLOW\tREAD\tGROUP\tLITERAL\tirg-think\t*")
                .doesNotContain("irg-topology");
        InProcessCli.Result commands = InProcessCli.run("acls", "--print", "--role", "think", "--format", "kafka-acls",
                "--bootstrap-servers", "kafka-1:9093");
        assertThat(commands.exitCode()).as(commands.err()).isZero();
        assertThat(commands.out()).contains("kafka-acls.sh --bootstrap-server kafka-1:9093 --command-config "
                        + "admin.properties --add --allow-principal User:irg-think --operation Read --topic irg.prompts\n",
                "--allow-principal User:irg-think --operation DescribeConfigs --topic irg.thoughts\n",
                "--allow-principal User:irg-think --operation Write --transactional-id irg-think- "
                        + "--resource-pattern-type prefixed\n");
        InProcessCli.Result neither = InProcessCli.run("acls");
        assertThat(neither.exitCode()).isEqualTo(2);
        assertThat(neither.err()).contains("--print", "--apply");
    }
}
